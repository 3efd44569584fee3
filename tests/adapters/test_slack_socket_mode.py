"""Socket Mode end to end: the real ``SlackAdapter`` (slack_bolt's built-in Socket Mode
client) against a local WebSocket fake and the fake Web API."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from adapters.slack.runner import SlackAdapter
from bot.service import GuidanceBot
from index.embedders import HashingEmbedder
from tests.adapters.slack_harness import bot_settings, payload
from tests.fakes.slack_api import RESPONSE_METHOD, FakeSlackApi
from tests.fakes.slack_socket import FakeSocketMode


def test_socket_mode_acks_envelopes_and_answers(slack_data_dir: Path) -> None:
    with FakeSocketMode() as ws, FakeSlackApi(socket_mode_url=ws.url) as fake:
        settings = bot_settings(fake, slack_data_dir).replace(slack_signing_secret="", slack_app_token="xapp-test")
        bot = GuidanceBot(settings, embedder=HashingEmbedder())
        ready: list[str] = []
        stop = threading.Event()
        adapter = SlackAdapter(settings, http=False, on_ready=ready.append, stop=stop)
        thread = threading.Thread(target=adapter.run, args=(bot,), daemon=True)
        thread.start()
        try:
            ws.wait_connected(timeout=30)
            deadline = time.monotonic() + 10
            while not ready and time.monotonic() < deadline:
                time.sleep(0.02)
            assert ready == ["Socket Mode"]
            assert fake.calls_to("apps.connections.open")[0].token == "xapp-test"

            mention = payload("event_app_mention")
            ws.wait_ack(ws.send("events_api", mention))
            post = fake.wait_for("chat.postMessage")[0]
            assert post.params["thread_ts"] == mention["event"]["ts"]

            ws.wait_ack(ws.send("events_api", mention))  # the same event_id again: handled once
            command = payload("command_gmc") | {"response_url": fake.response_url("sm")}
            ws.wait_ack(ws.send("slash_commands", command, accepts_response_payload=True))
            assert fake.wait_for(RESPONSE_METHOD)[0].params["response_type"] == "ephemeral"
            fake.settle()
            assert len(fake.calls_to("chat.postMessage")) == 1
        finally:
            stop.set()
            thread.join(15)
        assert not thread.is_alive()
