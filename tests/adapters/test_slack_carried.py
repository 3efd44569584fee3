"""Issue 19 on Slack: text in blocks, shared messages, attachment and file text and
snippet previews are screened with the message, through the real Bolt app and the fake
Web API; nothing of the identifier reaches what is posted, stored or logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from adapters.slack.carried import CARRIED_LIMIT, blocks_text, carried_text
from adapters.slack.translate import Route, route_message
from bot.logsetup import quiet_body_loggers
from tests.adapters.slack_harness import SlackHarness, payload
from tests.adapters.test_slack_app import FLAGGED, monitor
from tests.privacy import identifiers_in, leaks, log_text

CARRYING = (
    "event_message_blocks_only",
    "event_message_shared",
    "event_message_changed_identifier",
    "event_message_snippet",
)


@pytest.mark.parametrize("name", CARRYING)
def test_what_a_message_carries_is_screened_and_never_repeated(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    quiet_body_loggers()
    caplog.set_level(logging.DEBUG)
    monitor(slack)
    body = payload(name)
    slack.event(body["event"], event_id=body["event_id"])
    notice = slack.fake.wait_for("chat.postEphemeral")[0]
    assert notice.params["user"] == "U0ANN"
    slack.fake.wait_for("chat.postMessage")
    slack.fake.settle()
    [record] = slack.bot.records.flags.values()  # type: ignore[attr-defined]
    assert record.category == "patient-identifiable"
    needles = identifiers_in(FLAGGED, slack.bot.screen(FLAGGED))
    assert {n.kind for n in needles} >= {"nhs-number", "name"}
    haystack = "\n".join([*(c.text_dump() for c in slack.fake.calls), log_text(caplog.records), repr(record)])
    assert leaks(needles, haystack) == []


def _routed(name: str) -> str:
    route, message = route_message(payload(name)["event"], "T0TRUST", "U0GMCBOT")
    assert route is Route.SCREEN and message is not None
    return message.text


def test_blocks_only_text_is_read() -> None:
    text = _routed("event_message_blocks_only")
    assert "NHS no 943 476 5919" in text and "Bay 3 update @someone" in text


def test_a_shared_message_is_read_once_and_link_previews_are_not() -> None:
    text = _routed("event_message_shared")
    assert "John Carter" in text and "Posted in #ward-9" in text
    preview = {
        "type": "message",
        "user": "U0ANN",
        "channel": "C0WARD",
        "ts": "1.2",
        "text": "see the policy",
        "attachments": [{"title": "John Carter's blog", "from_url": "https://example.org/"}],
    }
    assert carried_text(preview) == "see the policy"


def test_text_equal_to_its_blocks_is_not_doubled() -> None:
    event = payload("event_message_changed_identifier")["event"]["message"]
    assert carried_text(event) == FLAGGED


def test_section_fields_context_and_images_are_read() -> None:
    blocks: list[Any] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Bed 4*"},
            "fields": [{"type": "plain_text", "text": "f1"}],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "ctx"}, {"type": "image", "alt_text": "alt1"}]},
        {"type": "image", "alt_text": "ward board", "title": {"type": "plain_text", "text": "board"}},
        {
            "type": "rich_text",
            "elements": [
                {"type": "rich_text_preformatted", "elements": [{"type": "link", "url": "https://x.example"}]}
            ],
        },
    ]
    assert blocks_text(blocks).split("\n") == [
        "*Bed 4*",
        "f1",
        "ctx",
        "alt1",
        "ward board",
        "board",
        "https://x.example",
    ]


@pytest.mark.parametrize(
    "junk",
    [
        None,
        1,
        "x",
        [],
        {"blocks": "no"},
        {"attachments": [1, None, {"fields": 3}]},
        {"blocks": [{"type": "rich_text", "elements": [[[]]]}]},
    ],
)
def test_anything_is_accepted_without_raising(junk: Any) -> None:
    carried_text(junk)
    blocks_text(junk)


def test_what_is_carried_is_capped() -> None:
    body = {"text": "a", "files": [{"preview": "x " * CARRIED_LIMIT}]}
    assert len(carried_text(body)) == CARRIED_LIMIT


# -- images (read in memory from the fake's url_private, with the bot token) -------------------
def test_a_shared_image_is_read_and_screened_without_repeating_the_patient(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.unit.test_images import SECRETS, WHITEBOARD, png

    quiet_body_loggers()
    caplog.set_level(logging.DEBUG)
    monitor(slack)
    data = png([WHITEBOARD])
    event = payload("event_message_file_share")["event"]
    event["files"][0].update(
        {
            "name": "IMG_2041.png",
            "mimetype": "image/png",
            "size": len(data),
            "url_private": slack.fake.add_file("IMG_2041.png", data),
        }
    )
    slack.event(event)
    slack.fake.wait_for("chat.postEphemeral", timeout=60)
    slack.fake.settle()
    assert [token for _, token in slack.fake.file_reads] == ["xoxb-test"]
    [record] = slack.bot.records.flags.values()  # type: ignore[attr-defined]
    assert record.category in ("patient-identifiable", "patient-image")
    haystack = "\n".join([*(c.text_dump() for c in slack.fake.calls), log_text(caplog.records), repr(record)])
    for secret in SECRETS:
        assert secret not in haystack


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://files.slack.com/files-pri/T0-F1/a.png", True),
        ("https://files.slack-gov.com/files-pri/T0-F1/a.png", True),
        ("http://files.slack.com/files-pri/T0-F1/a.png", False),
        ("https://files.slack.com.evil.example/a.png", False),
        ("https://evil.example/a.png", False),
        ("http://127.0.0.1:5000/files-pri/a.png", True),  # the configured API host (the tests' fake)
        ("http://127.0.0.1:5001/files-pri/a.png", False),
    ],
)
def test_the_token_goes_only_to_slack_file_hosts(url: str, ok: bool) -> None:
    from adapters.slack.files import allowed

    assert allowed(url, "http://127.0.0.1:5000/api/") is ok


# -- "Report to gmcbot" (message shortcut) --------------------------------------------------------
def report(slack: SlackHarness, message: dict[str, Any], user: str = "U0BOB") -> None:
    import json as _json
    from urllib.parse import urlencode

    body = {
        "type": "message_action",
        "callback_id": "gmc_report",
        "trigger_id": "1.2.3",
        "token": "XXYYZZ",
        "action_ts": "1700002000.1",
        "team": {"id": "T0TRUST", "domain": "trust"},
        "user": {"id": user, "team_id": "T0TRUST"},
        "channel": {"id": "C0WARD", "name": "ward-7"},
        "message_ts": message["ts"],
        "message": message,
        "response_url": slack.fake.response_url("report"),
        "is_enterprise_install": False,
    }
    status, _ = slack.post(urlencode({"payload": _json.dumps(body)}), "application/x-www-form-urlencoded")
    assert status == 200


@pytest.mark.parametrize("text", ["Morning all, the coffee machine on level 2 is fixed.", FLAGGED])
def test_report_always_opens_a_flag_for_the_moderators(
    slack: SlackHarness, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monitor(slack)
    report(slack, {"type": "message", "user": "U0ANN", "text": text, "ts": "1700001900.000100"})
    mods = slack.fake.wait_for("chat.postMessage")[0]
    assert mods.params["channel"] == "C0MODS"
    thanks = slack.fake.wait_for("response_url")[0]
    assert "passed this message to the moderators" in thanks.params["text"]
    [record] = slack.bot.records.flags.values()  # type: ignore[attr-defined]
    assert "report:manual" in record.rule_ids and record.user_hash  # the poster, pseudonymised
    assert slack.fake.calls_to("chat.postEphemeral") == []  # the poster is not told who reported them
    if text == FLAGGED:
        assert record.category == "patient-identifiable"
        needles = identifiers_in(FLAGGED, slack.bot.screen(FLAGGED))
        haystack = "\n".join([*(c.text_dump() for c in slack.fake.calls), log_text(caplog.records), repr(record)])
        assert leaks(needles, haystack) == []
