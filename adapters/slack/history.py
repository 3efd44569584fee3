"""A Slack channel's history for a back-scan (:mod:`bot.backscan`).

:class:`SlackHistory` reads ``conversations.history`` between the job's ``since`` and
``until`` (newest first, as Slack pages it, ``limit`` 200 with cursors), and for each
message that starts a thread its replies in that range (``conversations.replies``),
yielded before their parent so that the parent's timestamp is a safe resume position: a
later run asks for ``latest`` = that timestamp and carries on below it.

Each message is translated as a live ``message`` event is
(:func:`adapters.slack.translate.route_message`, with everything it carries); bots, joins
and other system messages are yielded without a message. With ``read_image``, image files
are fetched into memory (:func:`adapters.slack.files.download`) and their text added.

Rate limits: both methods are Web API tier 3 (about 50 calls a minute for an internal
app); calls are spaced at least ``min_interval`` seconds apart (1.2 s by default), and a
429 is retried after its ``Retry-After`` by the client's handler (up to
:data:`RATE_LIMIT_RETRIES` times). Needs the ``channels:history`` (or
``groups:history``) scope the live adapter already has, and the bot in the channel.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web import WebClient

from adapters.slack.client import error_code, retry_handlers
from adapters.slack.files import download, image_files
from adapters.slack.translate import Route, route_message
from bot import GmcbotError, HistoryItem, ScanJob

log = logging.getLogger("adapters.slack")

PAGE_LIMIT = 200
TIER3_INTERVAL = 60 / 50
RATE_LIMIT_RETRIES = 10


class HistoryError(GmcbotError):
    """Slack refused to give the history (wrong channel, bot not in it, missing scope)."""


def history_client(token: str, base_url: str, timeout: int = 30) -> WebClient:
    """A client for long history reads: more patience with 429s than the live one."""
    handlers = [h for h in retry_handlers() if not isinstance(h, RateLimitErrorRetryHandler)]
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES), *handlers],
    )


def _ts(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


class SlackHistory:
    """Callable as ``history(position)`` for :func:`bot.backscan.back_scan`."""

    def __init__(
        self,
        client: WebClient,
        job: ScanJob,
        bot_user_id: str,
        *,
        replies: bool = True,
        min_interval: float | None = None,
        read_image: Callable[[bytes], str] | None = None,
        token: str = "",
        api_url: str = "",
    ) -> None:
        self.client = client
        self.job = job
        self.bot_user_id = bot_user_id
        self.replies = replies
        self.min_interval = TIER3_INTERVAL if min_interval is None else min_interval
        self.read_image = read_image
        self.token = token
        self.api_url = api_url
        self.calls = 0
        self._last_call = 0.0

    def _call(self, method: str, **params: Any) -> Mapping[str, Any]:
        wait = self._last_call + self.min_interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_call = time.monotonic()
        self.calls += 1
        try:
            response = self.client.api_call(method, http_verb="GET", params=params)
        except SlackApiError as exc:
            code = error_code(exc)
            raise HistoryError(
                f"Slack refused {method} ({code}): check the channel id, invite the bot to the channel, "
                "and give the app the channels:history (private channels: groups:history) scope"
            ) from None
        data = response.data
        return data if isinstance(data, Mapping) else {}

    def _pages(self, method: str, key: str, **params: Any) -> Iterator[Mapping[str, Any]]:
        cursor = ""
        while True:
            data = self._call(method, limit=PAGE_LIMIT, **params, **({"cursor": cursor} if cursor else {}))
            for item in data.get(key) or []:
                if isinstance(item, Mapping):
                    yield item
            meta = data.get("response_metadata")
            cursor = str(meta.get("next_cursor") or "") if isinstance(meta, Mapping) else ""
            if not cursor or not data.get("has_more", True):
                return

    def _progress(self, ts: float) -> float:
        span = self.job.until - self.job.since
        return min(1.0, max(0.0, (self.job.until - ts) / span)) if span > 0 else 1.0

    def _item(self, raw: Mapping[str, Any], position: str) -> HistoryItem:
        event = {**raw, "type": "message", "channel": self.job.channel}
        route, message = route_message(event, self.job.workspace, self.bot_user_id)
        progress = self._progress(_ts(raw.get("ts")))
        if message is None or route is not Route.SCREEN:
            return HistoryItem(None, position, progress)
        if message.has_image and self.read_image is not None:
            texts = []
            for file_id, url in image_files(raw):
                data = download(file_id, url, self.token, self.api_url)
                if data:
                    texts.append(self.read_image(data))
            texts = [t for t in texts if t.strip()]
            if texts:
                message = dataclasses.replace(message, text="\n".join([message.text, *texts]))
        return HistoryItem(message, position, progress)

    def _thread(self, parent: Mapping[str, Any]) -> Iterator[HistoryItem]:
        thread_ts = str(parent.get("ts") or "")
        for reply in self._pages(
            "conversations.replies",
            "messages",
            channel=self.job.channel,
            ts=thread_ts,
            oldest=f"{self.job.since:.6f}",
            latest=f"{self.job.until:.6f}",
            inclusive=True,
        ):
            if str(reply.get("ts") or "") == thread_ts or reply.get("subtype") == "thread_broadcast":
                continue  # the parent (read from history) and replies also sent to the channel (likewise)
            yield self._item(reply, "")

    def __call__(self, position: str) -> Iterator[HistoryItem]:
        latest = position or f"{self.job.until:.6f}"
        for raw in self._pages(
            "conversations.history",
            "messages",
            channel=self.job.channel,
            oldest=f"{self.job.since:.6f}",
            latest=latest,
            inclusive=False,
        ):
            ts = str(raw.get("ts") or "")
            if self.replies and isinstance(raw.get("reply_count"), int) and raw["reply_count"] > 0:
                yield from self._thread(raw)
            yield self._item(raw, ts)
