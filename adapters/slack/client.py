"""The Slack Web API client, and the few calls the adapter makes through it.

:func:`make_client` builds a ``WebClient`` for ``settings.slack_api_url`` (default
Slack's public API; GovSlack-style hosts and tests set ``GMCBOT_SLACK_API_URL``) with
slack_sdk's retry handlers: 429 answers wait for ``Retry-After``; 5xx answers, timeouts
and dropped connections are retried with backoff.

:class:`Sender` wraps the calls. A failure is logged as the API method and Slack's
error code (never the text being sent) and reported as a falsy return, so a listener
carries on; response URLs get the same retry handlers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from http.client import RemoteDisconnected
from typing import Any
from urllib.error import URLError

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import WebClient
from slack_sdk.webhook import WebhookClient

from bot import Settings

log = logging.getLogger("adapters.slack")

DEFAULT_API_URL = "https://slack.com/api/"
TIMEOUT_SECONDS = 10
_ERROR_CODE_RE = re.compile(r"^[a-z0-9_]{1,64}$")
EFFECT_EVENT = "gmcbot_effect"  # the metadata event type of messages that are a durable job's effect
EFFECT_PAGES = 5  # pages of 200 messages :meth:`Sender.has_effect` reads at most


def effect_metadata(effect: str) -> dict[str, Any]:
    """Slack message metadata naming a durable job's effect: a 32-hex id derived from the
    platform's event id and the effect's name (no text, no user)."""
    return {"event_type": EFFECT_EVENT, "event_payload": {"effect": effect}}


class AnyServerErrorRetryHandler(ServerErrorRetryHandler):
    """Retries every 5xx answer (slack_sdk's own handler covers only 500 and 503)."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and 500 <= response.status_code < 600


class CountingRetryHandler(RetryHandler):
    """Wraps a handler and reports each retry it makes (for metrics) as ``reason``."""

    def __init__(self, inner: RetryHandler, reason: str, on_retry: Callable[[str], None]) -> None:
        super().__init__(max_retry_count=inner.max_retry_count, interval_calculator=inner.interval_calculator)
        self.inner = inner
        self.reason = reason
        self.on_retry = on_retry

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return self.inner.can_retry(state=state, request=request, response=response, error=error)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self.on_retry(self.reason)
        self.inner.prepare_for_next_attempt(state=state, request=request, response=response, error=error)


def retry_handlers(on_retry: Callable[[str], None] | None = None) -> list[RetryHandler]:
    """429 per ``Retry-After`` (3 tries), 5xx and connection trouble with backoff (2).
    ``on_retry`` hears ``rate_limited``, ``server_error`` or ``connection`` per retry."""
    handlers: list[tuple[str, RetryHandler]] = [
        ("rate_limited", RateLimitErrorRetryHandler(max_retry_count=3)),
        ("server_error", AnyServerErrorRetryHandler(max_retry_count=2)),
        (
            "connection",
            ConnectionErrorRetryHandler(
                max_retry_count=2, error_types=[URLError, ConnectionError, TimeoutError, RemoteDisconnected]
            ),
        ),
    ]
    if on_retry is None:
        return [h for _, h in handlers]
    return [CountingRetryHandler(h, reason, on_retry) for reason, h in handlers]


def api_base_url(settings: Settings) -> str:
    url = settings.slack_api_url.strip() or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def make_client(
    settings: Settings,
    token: str | None = None,
    *,
    timeout: int = TIMEOUT_SECONDS,
    on_retry: Callable[[str], None] | None = None,
) -> WebClient:
    """A ``WebClient`` for the bot token (or ``token``) with the retry handlers; each
    attempt waits at most ``timeout`` seconds for an answer."""
    return WebClient(
        token=token if token is not None else settings.slack_bot_token,
        base_url=api_base_url(settings),
        timeout=timeout,
        retry_handlers=retry_handlers(on_retry),
    )


def error_code(exc: BaseException) -> str:
    """A loggable description of a failed call: Slack's error code or the exception type."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        code = response.get("error") if hasattr(response, "get") else None
        status = getattr(response, "status_code", "?")
        return f"{code if isinstance(code, str) and _ERROR_CODE_RE.match(code) else 'error'} (HTTP {status})"
    return type(exc).__name__


class Sender:
    """The adapter's outbound calls; each returns a falsy value on failure (logged, and
    reported to ``on_error`` with the method name). Response URLs use the client's
    timeout and ``on_retry``. An empty ``blocks`` list is left out rather than sent empty."""

    def __init__(
        self,
        client: WebClient,
        on_error: Callable[[str], None] | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.on_error = on_error
        self.on_retry = on_retry

    def _failed(self, method: str, exc: BaseException) -> None:
        log.warning("slack %s failed: %s", method, error_code(exc))
        if self.on_error is not None:
            self.on_error(method)

    def post_message(
        self, channel: str, text: str, blocks: list[dict[str, Any]], thread_ts: str = "", effect: str = ""
    ) -> str:
        """Post visibly; returns the message ts, or ``""``. ``effect`` (a durable job's
        effect id, :meth:`bot.jobs.Job.effect_id`) goes in the message's metadata, so
        :meth:`has_effect` can tell later whether the message arrived."""
        try:
            response = self.client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks or None,
                thread_ts=thread_ts or None,
                unfurl_links=False,
                unfurl_media=False,
                metadata=effect_metadata(effect) if effect else None,
            )
        except (SlackClientError, OSError, ValueError) as exc:
            self._failed("chat.postMessage", exc)
            return ""
        ts = response.get("ts")
        return ts if isinstance(ts, str) else "sent"

    def has_effect(self, channel: str, effect: str, thread_ts: str = "", since: float = 0.0) -> bool | None:
        """Whether a message in ``channel`` (in the thread ``thread_ts``, if given) posted
        from ``since`` (seconds since the epoch; a minute's slack for clocks) carries
        ``effect`` in its metadata (:meth:`post_message`). None when Slack cannot say (an
        error, or more than :data:`EFFECT_PAGES` pages to read). Reads
        ``conversations.replies`` or ``conversations.history`` with
        ``include_all_metadata``: the ``channels:history`` scopes the adapter has."""
        oldest = f"{max(0.0, since - 60):.6f}" if since else None
        cursor = None
        for _ in range(EFFECT_PAGES):
            try:
                if thread_ts:
                    response = self.client.conversations_replies(
                        channel=channel,
                        ts=thread_ts,
                        oldest=oldest,
                        include_all_metadata=True,
                        limit=200,
                        cursor=cursor,
                    )
                else:
                    response = self.client.conversations_history(
                        channel=channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
                    )
            except (SlackClientError, OSError, ValueError) as exc:
                self._failed("conversations.replies" if thread_ts else "conversations.history", exc)
                return None
            messages = response.get("messages")
            for message in messages if isinstance(messages, list) else []:
                metadata = message.get("metadata") if isinstance(message, dict) else None
                if (
                    isinstance(metadata, dict)
                    and metadata.get("event_type") == EFFECT_EVENT
                    and isinstance(metadata.get("event_payload"), dict)
                    and metadata["event_payload"].get("effect") == effect
                ):
                    return True
            meta = response.get("response_metadata")
            cursor = meta.get("next_cursor") if isinstance(meta, dict) else None
            if not cursor:
                return False
        return None

    def post_ephemeral(
        self, channel: str, user: str, text: str, blocks: list[dict[str, Any]], thread_ts: str = ""
    ) -> bool:
        try:
            self.client.chat_postEphemeral(
                channel=channel, user=user, text=text, blocks=blocks or None, thread_ts=thread_ts or None
            )
        except (SlackClientError, OSError, ValueError) as exc:
            self._failed("chat.postEphemeral", exc)
            return False
        return True

    def respond(self, response_url: str, payload: dict[str, Any]) -> bool:
        """POST ``payload`` to an interaction's ``response_url``."""
        if not response_url:
            return False
        try:
            response = WebhookClient(
                response_url, timeout=self.client.timeout, retry_handlers=retry_handlers(self.on_retry)
            ).send_dict(payload)
        except (SlackClientError, OSError, ValueError) as exc:
            self._failed("response_url", exc)
            return False
        if response.status_code != 200:
            body = response.body if isinstance(response.body, str) and _ERROR_CODE_RE.match(response.body) else ""
            log.warning("slack response_url failed: HTTP %s %s", response.status_code, body)
            if self.on_error is not None:
                self.on_error("response_url")
            return False
        return True

    def permalink(self, channel: str, ts: str) -> str:
        try:
            response = self.client.chat_getPermalink(channel=channel, message_ts=ts)
        except (SlackClientError, OSError, ValueError) as exc:
            self._failed("chat.getPermalink", exc)
            return ""
        link = response.get("permalink")
        return link if isinstance(link, str) else ""

    def is_admin(self, user: str) -> bool:
        """True for workspace admins and owners (``users.info``); False on any failure."""
        try:
            response = self.client.users_info(user=user)
        except (SlackClientError, OSError, ValueError) as exc:
            self._failed("users.info", exc)
            return False
        info = response.get("user")
        if not isinstance(info, dict):
            return False
        return any(info.get(k) is True for k in ("is_admin", "is_owner", "is_primary_owner"))

    def publish_home(self, user: str, blocks: list[dict[str, Any]]) -> bool:
        try:
            self.client.views_publish(user_id=user, view={"type": "home", "blocks": blocks})
        except (SlackClientError, OSError, ValueError) as exc:
            self._failed("views.publish", exc)
            return False
        return True
