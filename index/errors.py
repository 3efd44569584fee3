"""The errors a user can cause, at the lowest layer so the index and the core share them.

Each carries a message that says what to do next; the CLI prints it without a traceback
and exits with ``exit_code``. ``bot.errors`` re-exports these and adds the core's own
(corpus, store); ``index`` imports nothing from ``bot``.
"""

from __future__ import annotations

import os
from pathlib import Path


class GmcbotError(Exception):
    """Base class for errors shown to the user as one clear message."""

    exit_code = 1


class ConfigError(GmcbotError):
    """A setting, config file or environment variable is wrong."""

    exit_code = 2


class ModelUnavailable(GmcbotError):
    """The embedding model package is missing or its files are damaged."""


def default_data_dir() -> Path:
    """Where the index, database, models and key live: ``$XDG_DATA_HOME/gmcbot`` by convention."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "gmcbot"
