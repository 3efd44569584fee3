"""Where gmcbot meets the Teams SDK's process-wide habits: its loggers and its environment.

- :func:`quiet_sdk_logs`: the SDK logs activity payloads at DEBUG and quotes exception
  messages (a pydantic validation error repeats the input) at WARNING and ERROR. Every
  ``microsoft_teams`` logger gets a filter that keeps the logger, level and exception type
  and withholds the rest, so no message text can reach a log through the SDK.
- :func:`without_sdk_credentials`: the SDK reads ``CLIENT_ID``, ``CLIENT_SECRET``,
  ``TENANT_ID`` and ``MANAGED_IDENTITY_CLIENT_ID`` from the environment when no credentials
  are given; local testing builds the app with those hidden, so it never asks Microsoft's
  login service for a token.
- :func:`accept_previews`: targeted messages are a preview feature the adapter chooses on
  purpose (with a one-to-one chat as the fallback); the SDK's ``ExperimentalWarning`` for
  them (and for its own HTML widget defaults) is silenced once, for its category only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator

SDK_LOGGER = "microsoft_teams"
SDK_CREDENTIAL_ENV = ("CLIENT_ID", "CLIENT_SECRET", "TENANT_ID", "MANAGED_IDENTITY_CLIENT_ID", "TOKEN")


class WithholdDetails(logging.Filter):
    """Rewrites an SDK log record to its logger, level and exception type only."""

    def filter(self, record: logging.LogRecord) -> bool:
        kind = type(record.exc_info[1]).__name__ if record.exc_info and record.exc_info[1] else ""
        record.msg = "Teams SDK %s (details withheld: they may quote a message)%s"
        record.args = (record.levelname.lower(), f": {kind}" if kind else "")
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


_FILTER = WithholdDetails()


def quiet_sdk_logs() -> None:
    """Put :class:`WithholdDetails` on every ``microsoft_teams`` logger that exists (call
    after the SDK is imported; safe to repeat) and hold them at INFO or above."""
    names = [SDK_LOGGER, *(n for n in logging.root.manager.loggerDict if n.startswith(SDK_LOGGER + "."))]
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)


@contextlib.contextmanager
def without_sdk_credentials() -> Iterator[None]:
    """Hide the SDK's credential variables from the environment for the block."""
    saved = {name: os.environ.pop(name) for name in SDK_CREDENTIAL_ENV if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def accept_previews() -> None:
    """Silence the SDK's ``ExperimentalWarning`` (targeted messages are used on purpose)."""
    from microsoft_teams.common.experimental import ExperimentalWarning

    warnings.filterwarnings("ignore", category=ExperimentalWarning)
