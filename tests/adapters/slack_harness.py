"""The real Bolt app on a loopback HTTP server, a fake Slack Web API, and signed requests.

:func:`running_slack` starts both and yields a :class:`SlackHarness` that posts Events
API, slash-command and interaction requests signed with slack_sdk's own signing code.
"""

from __future__ import annotations

import copy
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from adapters.slack.app import build_app, make_durable, make_work_queue
from adapters.slack.client import make_client
from adapters.slack.runner import EVENTS_PATH, make_http_server
from adapters.slack.work import WorkQueue
from bot.config import Settings
from bot.service import GuidanceBot
from index.embedders import HashingEmbedder
from tests.fakes.slack_api import TEAM_ID, FakeSlackApi

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PAYLOADS = Path(__file__).parent / "payloads" / "slack"


def payload(name: str) -> dict[str, Any]:
    """A recorded payload from ``payloads/slack/NAME.json`` (a fresh copy)."""
    return copy.deepcopy(json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8")))


class SlackHarness:
    def __init__(self, fake: FakeSlackApi, bot: GuidanceBot, url: str) -> None:
        self.fake = fake
        self.bot = bot
        self.url = url
        self.work: WorkQueue | None = None  # the app's work queue, set by running_slack
        self._ids = iter(range(1, 1_000_000))

    def wait_idle(self, timeout: float = 20.0) -> None:
        """Wait until no listener runs and the work queue is empty, for 0.1 s on end
        (everything the app will send for what it was given has been sent)."""
        assert self.work is not None, "wait_idle needs the harness from running_slack"
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            busy = self.work.listeners.pending.count or self.work.active
            now = time.monotonic()
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= 0.1:
                return
            time.sleep(0.02)
        raise AssertionError("the Slack app did not finish its work in time")

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        """POST a signed request; returns (status, body)."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        request = urllib.request.Request(
            self.url,
            data=body.encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": signature or "",
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    def event(
        self, event: dict[str, Any], *, event_id: str = "", retry_num: int | None = None, **kw: Any
    ) -> tuple[int, str]:
        """Deliver an Events API ``event_callback`` wrapping ``event``."""
        envelope = {
            "token": "XXYYZZ",
            "team_id": TEAM_ID,
            "api_app_id": "A0GMCBOT",
            "type": "event_callback",
            "event": event,
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
        }
        headers = kw.pop("headers", {})
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
        return self.post(json.dumps(envelope), "application/json", headers=headers, **kw)

    def message(
        self, text: str, *, user: str = "U0ANN", channel: str = "C0WARD", channel_type: str = "channel", **fields: Any
    ) -> dict[str, Any]:
        """A ``message`` event as Slack sends it."""
        ts = f"{time.time():.6f}"
        return {
            "type": "message",
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "team": TEAM_ID,
            "channel": channel,
            "channel_type": channel_type,
            **fields,
        }

    def command(
        self, text: str, *, user: str = "U0ANN", channel: str = "C0WARD", name: str = "cmd", **kw: Any
    ) -> tuple[int, str]:
        form = {
            "token": "XXYYZZ",
            "team_id": TEAM_ID,
            "team_domain": "trust",
            "channel_id": channel,
            "channel_name": "ward-7",
            "user_id": user,
            "user_name": "someone",
            "command": "/gmc",
            "text": text,
            "api_app_id": "A0GMCBOT",
            "response_url": self.fake.response_url(name),
            "trigger_id": f"{next(self._ids)}.2.3",  # unique per invocation, as Slack's are
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded", **kw)

    def action(
        self,
        action: dict[str, Any],
        *,
        user: str = "U0ANN",
        channel: str = "C0WARD",
        name: str = "act",
        message: dict[str, Any] | None = None,
        ephemeral: bool = True,
        thread_ts: str = "",
    ) -> tuple[int, str]:
        """Click a button: ``action`` is the element from a block we sent."""
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": "1700000000.000001",
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        }
        if thread_ts:
            container["thread_ts"] = thread_ts
        body: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "team_id": TEAM_ID},
            "api_app_id": "A0GMCBOT",
            "token": "XXYYZZ",
            "container": container,
            "trigger_id": "1.2.3",
            "team": {"id": TEAM_ID},
            "channel": {"id": channel},
            "response_url": self.fake.response_url(name),
            "actions": [
                {
                    "type": "button",
                    "block_id": "b1",
                    "action_ts": "1700000000.1",
                    **{k: action[k] for k in ("action_id", "value", "text") if k in action},
                }
            ],
        }
        if message is not None:
            body["message"] = message
        return self.post(urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded")


def find_button(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    for block in blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == action_id:
                return dict(element)
    raise AssertionError(f"no {action_id} button in {[b.get('type') for b in blocks]}")


def bot_settings(fake: FakeSlackApi, data_dir: Path, token: str = "xoxb-test", **changes: Any) -> Settings:
    return Settings(
        data_dir=data_dir,
        embedder="hashing",
        slack_api_url=fake.api_url,
        slack_bot_token=token,
        slack_signing_secret=SIGNING_SECRET,
        **changes,
    )


@contextmanager
def running_slack(
    fake: FakeSlackApi,
    data_dir: Path,
    token: str = "xoxb-test",
    *,
    bot: GuidanceBot | None = None,
    client_timeout: int | None = None,
    **changes: Any,
) -> Iterator[SlackHarness]:
    """The real app (``build_app``) served on 127.0.0.1:0 with the fake Web API behind it
    (with health and metrics). ``bot`` replaces the default (hashing embedder, records
    in memory); ``client_timeout`` shortens the Web API client's timeout."""
    settings = bot_settings(fake, data_dir, token, **changes)
    bot = bot or GuidanceBot(settings, embedder=HashingEmbedder())
    client = None
    if client_timeout is not None:
        client = make_client(settings, timeout=client_timeout, on_retry=bot.metrics.retry_counter("slack"))
    work = make_work_queue(bot)
    durable = make_durable(bot, settings)
    app = build_app(bot, settings, client, work=work, durable=durable)
    durable.start()
    server = make_http_server(app, "127.0.0.1", 0, bot=bot, signing_secret=settings.slack_signing_secret)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        harness = SlackHarness(fake, bot, f"http://127.0.0.1:{server.server_port}{EVENTS_PATH}")
        harness.work = work
        yield harness
    finally:
        server.shutdown()
        server.server_close()
        work.drain(5)  # let the last jobs finish, then end the queue's threads
        durable.stop()
