"""What reaches the Slack app over HTTP before any listener: the signature is checked
before the body is parsed (401 unsigned, 400 signed but unreadable), payload kinds
gmcbot has no listener for are answered and dropped, each refusal is one log line with
no traceback; and over the work queue's bound a delivery gets 503 (not acknowledged,
so Slack retries), counted in the metrics, and is taken once the queue has room."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bot.types import ChannelSettings, Platform
from tests.adapters.slack_harness import SlackHarness, running_slack
from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID, FakeSlackApi
from tests.load.world import metric_value

QUESTION = "can I accept a friend request from a patient on facebook?"


def _unsigned(url: str, body: bytes, content_type: str) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00", "application/json"),
        (b"", "application/json"),
    ],
)
def test_an_unsigned_body_is_refused_with_401_before_it_is_parsed(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str
) -> None:
    caplog.set_level(logging.INFO)
    assert _unsigned(slack.url, body, content_type) == 401
    refusals = [r for r in caplog.records if "refused (401)" in r.getMessage()]
    assert len(refusals) == 1 and "\n" not in refusals[0].getMessage()
    _no_tracebacks(caplog)
    slack.fake.settle()
    assert slack.fake.posted() == []


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        ("{not json", "application/json", "not valid JSON"),
        ("[1, 2]", "application/json", "not an object"),
        ("payload=%7Bbroken", "application/x-www-form-urlencoded", "payload is not valid JSON"),
        ("payload=%5B%5D", "application/x-www-form-urlencoded", "not a JSON object"),
        ("just some words", "application/x-www-form-urlencoded", "not a valid form"),
    ],
)
def test_a_signed_but_unreadable_body_gets_400_and_one_log_line(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, body: str, content_type: str, reason: str
) -> None:
    caplog.set_level(logging.INFO)
    status, text = slack.post(body, content_type)
    assert status == 400 and reason in text
    assert [r.getMessage() for r in caplog.records if "refused" in r.getMessage()] == [
        f"slack request refused (400): {text}"
    ]
    _no_tracebacks(caplog)


def test_a_workflow_step_view_without_its_step_is_answered_without_a_traceback(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID},
        "user": {"id": "U1"},
        "view": {"type": "workflow_step"},
    }
    status, _ = slack.post("payload=" + urllib.parse.quote(json.dumps(payload)), "application/x-www-form-urlencoded")
    assert status == 200
    _no_tracebacks(caplog)


def test_a_mention_without_a_channel_posts_nowhere(slack: SlackHarness) -> None:
    mention = {"type": "app_mention", "user": "U1", "text": f"<@{BOT_USER_ID}> {QUESTION}", "ts": "1700000000.1"}
    assert slack.event(mention)[0] == 200
    slack.fake.settle()
    assert slack.fake.posted() == []


def test_over_the_queue_bound_a_delivery_gets_503_then_is_taken_on_slacks_retry(tmp_path: Path) -> None:
    # The permalink a flag asks for takes 1.5 s, so the one job the queue holds stays there.
    with (
        FakeSlackApi(slow={"chat.getPermalink": 1.5}) as fake,
        running_slack(fake, tmp_path, work_queue_limit=1) as slack,
    ):
        slack.bot.update_channel_settings(
            ChannelSettings(Platform.SLACK, TEAM_ID, "C0WARD", monitored=True, moderators_channel="C0MODS")
        )
        risky = "Patient in resus is John Carter, NHS no 943 476 5919"
        assert slack.event(slack.message(risky, user="UA"), event_id="EvBusy1")[0] == 200
        second = slack.message(risky, user="UB")
        assert slack.event(second, event_id="EvBusy2")[0] == 503  # not acknowledged: Slack retries
        base = slack.url.rsplit("/slack/", 1)[0]
        with urllib.request.urlopen(base + "/metrics", timeout=5) as response:
            metrics = response.read().decode()
        assert metric_value(metrics, "gmcbot_backpressure_total", platform="slack") == 1
        fake.wait_for("chat.postEphemeral", 1)
        deadline = time.monotonic() + 10
        while slack.event(second, event_id="EvBusy2", retry_num=1)[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)  # Slack's retries, until there is room
        fake.wait_for("chat.postEphemeral", 2)
        fake.settle()
        notices = [str(c.params.get("user")) for c in fake.calls_to("chat.postEphemeral")]
        assert sorted(notices) == ["UA", "UB"]  # each poster told once
