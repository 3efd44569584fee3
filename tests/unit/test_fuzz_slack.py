"""Fuzzing the Slack adapter end to end: arbitrary (signed) events, slash commands and
button clicks through the real Bolt app, the translation functions and Block Kit
rendering, with the fake Web API checking Block Kit's limits on everything sent.

Properties: no exception escapes (no 500, no listener failure, no core failure), every
message sent passes Block Kit's limits (the fake answers ``invalid_blocks`` otherwise,
counted as a platform error), nothing sent can ping a channel, and the pure functions
keep their output contracts on any input. The unit-level properties of translate.py
and blocks.py (escaping, clipping, button values) are in tests/adapters.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.slack import blocks as bk
from adapters.slack.translate import (
    CommandKind,
    channel_ref,
    encode_value,
    mapping_of,
    mention_question,
    parse_command,
    text_of,
    user_ref,
)
from bot.types import ChannelSettings, Platform
from tests.adapters.slack_harness import SlackHarness, running_slack
from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID, FakeSlackApi

BROADCAST = re.compile(r"<!(?:channel|here|everyone|subteam)", re.IGNORECASE)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

# Text a user could type or paste, including Slack markup, control characters, emoji,
# right-to-left marks, long runs and (in JSON) lone surrogates.
pieces = st.sampled_from(
    [
        "<!channel>",
        "<!here|here>",
        "<@U024BE7LH>",
        f"<@{BOT_USER_ID}>",
        "<#C0WARD|ward>",
        "<https://x.org|x>",
        "&lt;!channel&gt;",
        "@everyone",
        "NHS no 943 476 5919",
        "DOB 12/03/1954",
        "bed 4",
        "Mrs Adeyemi",
        "😂",
        "\u202e",
        "\u200b",
        "\x00",
        "\n",
        "*bold*",
        "`code`",
        "> quote",
        "settings monitor on",
        "help",
    ]
)
typed = st.lists(st.one_of(pieces, st.text(max_size=40)), max_size=10).map("".join)
hostile = st.one_of(
    typed,
    st.text(max_size=200),
    st.text(min_size=3000, max_size=6000, alphabet="ab 😂<>&"),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=5).map(
        lambda s: "Patient in bed 4 " + s
    ),
)
form_safe = st.one_of(typed, st.text(max_size=200)).map(lambda s: s.encode("utf-8", "replace").decode("utf-8"))
ids = st.one_of(st.sampled_from(["U0ANN", "U0ADMIN", "W0GUEST", BOT_USER_ID, "", "not an id"]), st.text(max_size=12))
channels = st.sampled_from(["C0WARD", "C0OTHER", "D0DIRECT", "G0PRIVATE", "", "C0WARD\u202e"])
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=30),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.sampled_from(["mimetype", "name", "user", "text"]), st.text(max_size=20), max_size=3),
)


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["message", "message", "app_mention", "app_home_opened", "reaction_added"]))
    event: dict[str, Any] = {
        "type": kind,
        "user": draw(ids),
        "text": draw(hostile),
        "channel": draw(channels),
        "ts": draw(st.sampled_from(["1700000000.000100", "", "x"])),
    }
    extras = {
        "channel_type": st.sampled_from(["channel", "group", "im", "mpim", ""]),
        "subtype": st.sampled_from(
            [
                "file_share",
                "message_changed",
                "bot_message",
                "channel_join",
                "me_message",
                "thread_broadcast",
                "message_deleted",
                "",
            ]
        ),
        "thread_ts": st.sampled_from(["1700000000.000001", ""]),
        "bot_id": st.sampled_from(["B0OTHER", ""]),
        "files": st.lists(
            st.fixed_dictionaries({"mimetype": st.sampled_from(["image/png", "video/mp4", "text/plain", ""])}),
            max_size=2,
        ),
        "message": st.fixed_dictionaries({"user": ids, "text": hostile}),
        "previous_message": st.fixed_dictionaries({"text": hostile}),
        "tab": st.sampled_from(["home", "messages"]),
        "odd": values,
    }
    for key in draw(st.lists(st.sampled_from(sorted(extras)), max_size=4, unique=True)):
        event[key] = draw(extras[key])
    return event


ACTION_IDS = [
    bk.SHARE,
    bk.HELPFUL,
    bk.NOT_HELPFUL,
    bk.MORE,
    bk.FLAG_REMOVING,
    bk.FLAG_FALSE_ALARM,
    bk.REVIEW_CONFIRM,
    bk.REVIEW_FALSE_ALARM,
    bk.MONITOR_ON,
    bk.MONITOR_OFF,
    bk.OPEN_LINK,
]
action_values = st.one_of(
    st.text(max_size=300),
    st.builds(encode_value, form_safe, st.lists(st.text(max_size=30), max_size=4)),
    st.sampled_from(["", "{}", "[]", '{"q": 5}', "null", "C0WARD"]),
)


class Failures(logging.Handler):
    """Collects every ERROR and WARNING the adapter logs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SlackHarness, FakeSlackApi, Failures]]:
    failures = Failures()
    logger = logging.getLogger("adapters.slack")
    logger.addHandler(failures)
    with (
        FakeSlackApi(admins={"U0ADMIN"}) as fake,
        running_slack(
            fake, tmp_path_factory.mktemp("fuzz-slack"), rate_limit_per_minute=0, moderators_channel="C0MODS"
        ) as slack,
    ):
        slack.bot.warm_up(screening=True)
        slack.bot.update_channel_settings(ChannelSettings(Platform.SLACK, TEAM_ID, "C0WARD", monitored=True))
        yield slack, fake, failures
    logger.removeHandler(failures)


def settle(slack: SlackHarness) -> None:
    """Wait until the app's work queue is empty."""
    gauge = {"platform": "slack"}
    deadline = time.monotonic() + 30
    while (slack.bot.metrics.registry.get_sample_value("gmcbot_work_in_flight", gauge) or 0) > 0:
        assert time.monotonic() < deadline, "the work queue did not drain"
        time.sleep(0.01)


def failed_calls(slack: SlackHarness) -> float:
    """Core failures and failed Web API calls so far, from the app's metrics."""
    return sum(
        s.value
        for m in slack.bot.metrics.registry.collect()
        if m.name in ("gmcbot_core_failures", "gmcbot_platform_errors")
        for s in m.samples
        if s.name.endswith("_total")
    )


def start(world: tuple[SlackHarness, FakeSlackApi, Failures]) -> tuple[int, float]:
    """Forget the previous example's logs; returns the fake's call count and the failures so far."""
    slack, fake, failures = world
    settle(slack)
    failures.messages.clear()
    return len(fake.posted()), failed_calls(slack)


def check(world: tuple[SlackHarness, FakeSlackApi, Failures], status: int, before: tuple[int, float]) -> None:
    slack, fake, failures = world
    assert status in (200, 404), status  # 404: Bolt's answer to an event type with no listener
    settle(slack)
    refused = [c.params for c in fake.calls if not c.ok]
    assert failures.messages == [], (failures.messages, refused[-1:])  # no listener, core or Web API call failed
    assert failed_calls(slack) == before[1]
    for call in fake.posted()[before[0] :]:
        assert not BROADCAST.search(call.text_dump()), call.text_dump()[:300]


@FUZZ
@given(event=events(), retry=st.booleans())
def test_any_event_is_handled_without_failure_and_everything_sent_is_valid(
    world: tuple[SlackHarness, FakeSlackApi, Failures], event: dict[str, Any], retry: bool
) -> None:
    slack, fake, _ = world
    seen = start(world)
    status, _ = slack.event(event, retry_num=1 if retry else None)
    check(world, status, seen)


@FUZZ
@given(text=form_safe, user=st.sampled_from(["U0ANN", "U0ADMIN"]), channel=channels)
def test_any_command_text_gets_one_valid_private_reply(
    world: tuple[SlackHarness, FakeSlackApi, Failures], text: str, user: str, channel: str
) -> None:
    slack, fake, _ = world
    seen = start(world)
    status, _ = slack.command(text, user=user, channel=channel, name="fuzz")
    check(world, status, seen)
    replies = [c for c in fake.posted()[seen[0] :] if c.path == "/respond/fuzz"]
    assert len(replies) == 1


@FUZZ
@given(
    action_id=st.sampled_from(ACTION_IDS),
    value=action_values,
    user=st.sampled_from(["U0ANN", "U0ADMIN"]),
    message=st.one_of(st.none(), st.fixed_dictionaries({"blocks": st.one_of(values, st.just([{"type": "x"}]))})),
)
def test_any_button_click_is_handled_without_failure(
    world: tuple[SlackHarness, FakeSlackApi, Failures],
    action_id: str,
    value: str,
    user: str,
    message: dict[str, Any] | None,
) -> None:
    slack, fake, _ = world
    seen = start(world)
    status, _ = slack.action({"action_id": action_id, "value": value}, user=user, message=message)
    check(world, status, seen)


# -- the pure functions on anything ------------------------------------------------------------
anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(data=anything, key=st.text(max_size=8))
def test_field_access_returns_the_declared_type_for_any_payload(data: object, key: str) -> None:
    assert isinstance(text_of(data, key), str)
    assert hasattr(mapping_of(data, key), "get")


@settings(max_examples=300, deadline=None)
@given(text=hostile, bot=st.sampled_from([BOT_USER_ID, "U1", ""]))
def test_a_mention_question_never_keeps_the_bots_own_mention_or_markup(text: str, bot: str) -> None:
    question = mention_question(text, bot)
    assert question == question.strip() and "\n" not in question
    if bot:
        assert f"<@{bot}" not in question


@settings(max_examples=300, deadline=None)
@given(raw=st.one_of(st.text(max_size=30), st.from_regex(r"[UWCG][A-Z0-9]{2,8}\s?", fullmatch=True), anything))
def test_references_are_well_formed_or_neutral(raw: Any) -> None:
    user, channel = user_ref(raw), channel_ref(raw)
    assert user == "someone" or re.fullmatch(r"<@[UW][A-Z0-9]{2,}>", user), user
    assert channel == "this channel" or re.fullmatch(r"<#[CG][A-Z0-9]{2,}>", channel), channel


@settings(max_examples=300, deadline=None)
@given(text=hostile)
def test_every_command_parses_to_a_kind_and_settings_errors_explain(text: str) -> None:
    command = parse_command(text)
    assert command.kind in tuple(CommandKind)
    if command.kind is CommandKind.QUESTION:
        assert command.question.strip()
    if command.error:
        assert command.kind is CommandKind.SETTINGS and len(command.error) < 1000
    json.dumps(command.question)
