"""HTTP mode's operations endpoints: ``/healthz`` is ready only once the index is loaded
and stops being ready at shutdown; ``/metrics`` counts answers, screenings, flags by
category, requests and acknowledgement times, with no message text or user ids; JSON
log lines for servers."""

from __future__ import annotations

import json
import logging
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from adapters.slack.app import build_app
from adapters.slack.runner import EVENTS_PATH, make_http_server
from bot.logsetup import JsonFormatter
from bot.metrics import Metrics
from bot.service import GuidanceBot
from bot.types import ChannelSettings, Platform
from index.embedders import HashingEmbedder
from tests.adapters.slack_harness import SlackHarness, bot_settings
from tests.fakes.slack_api import RESPONSE_METHOD, TEAM_ID, FakeSlackApi

RISKY = "Patient in resus is John Carter, NHS no 943 476 5919"


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


@contextmanager
def served(
    bot: GuidanceBot, fake: FakeSlackApi, data_dir: Path, stopping: threading.Event
) -> Iterator[tuple[str, SlackHarness]]:
    settings = bot_settings(fake, data_dir)
    server = make_http_server(build_app(bot, settings), "127.0.0.1", 0, bot=bot, stopping=stopping)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        yield base, SlackHarness(fake, bot, base + EVENTS_PATH)
    finally:
        server.shutdown()
        server.server_close()


def test_health_is_ready_only_with_the_index_loaded_and_not_while_stopping(
    fake_slack: FakeSlackApi, slack_data_dir: Path
) -> None:
    bot = GuidanceBot(bot_settings(fake_slack, slack_data_dir), embedder=HashingEmbedder())
    stopping = threading.Event()
    with served(bot, fake_slack, slack_data_dir, stopping) as (base, _):
        status, body = get(base + "/healthz")
        assert (status, json.loads(body)) == (503, {"ok": False, "ready": False, "reason": "loading the index"})
        bot.warm_up()
        assert get(base + "/healthz") == (200, json.dumps({"ok": True, "ready": True}))
        stopping.set()
        status, body = get(base + "/healthz")
        assert status == 503 and json.loads(body)["reason"] == "shutting down"


def test_metrics_count_answers_screenings_flags_and_acks_without_text_or_ids(
    fake_slack: FakeSlackApi, slack_data_dir: Path
) -> None:
    bot = GuidanceBot(bot_settings(fake_slack, slack_data_dir), embedder=HashingEmbedder())
    bot.warm_up(screening=True)
    bot.update_channel_settings(ChannelSettings(Platform.SLACK, TEAM_ID, "C0WARD", monitored=True))
    with served(bot, fake_slack, slack_data_dir, threading.Event()) as (base, slack):
        slack.command("can I accept a friend request from a patient?", user="U0ASKER")
        slack.event(slack.message(RISKY, user="U0POSTER"))
        slack.event(slack.message("Lovely team lunch today, thanks all", user="U0OTHER"))
        fake_slack.wait_for(RESPONSE_METHOD)
        fake_slack.wait_for("chat.postEphemeral")
        fake_slack.settle()
        status, text = get(base + "/metrics")
    assert status == 200
    samples = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert sum(v for k, v in samples.items() if k.startswith("gmcbot_answers_total{")) == 1
    assert samples['gmcbot_screenings_total{outcome="flagged"}'] == 1
    assert samples['gmcbot_screenings_total{outcome="clear"}'] == 1
    assert samples['gmcbot_flags_total{category="patient-identifiable"}'] == 1
    assert samples['gmcbot_platform_requests_total{kind="command",platform="slack"}'] == 1
    assert samples['gmcbot_platform_requests_total{kind="event_callback",platform="slack"}'] == 2
    assert samples['gmcbot_ack_seconds_count{platform="slack"}'] == 3
    assert samples['gmcbot_work_in_flight{platform="slack"}'] == 0
    assert samples["gmcbot_answer_seconds_count"] == 1
    for secret in ("John Carter", "943 476 5919", "friend request", "U0ASKER", "U0POSTER", "C0WARD"):
        assert secret not in text


def test_each_bot_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.flags.labels("disrespect").inc()
    assert first.registry.get_sample_value("gmcbot_flags_total", {"category": "disrespect"}) == 1
    assert second.registry.get_sample_value("gmcbot_flags_total", {"category": "disrespect"}) is None


def test_json_log_lines_are_one_object_each_with_no_extra_fields() -> None:
    try:
        raise ValueError("detail that must not be logged")
    except ValueError:
        record = logging.LogRecord(
            "adapters.slack",
            logging.ERROR,
            __file__,
            1,
            "slack %s failed: %s",
            ("mention", "ValueError"),
            exc_info=sys.exc_info(),
        )
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert set(data) == {"time", "level", "logger", "message", "error"}
    assert data["message"] == "slack mention failed: ValueError" and data["error"] == "ValueError"
    assert "must not be logged" not in line and "\n" not in line
