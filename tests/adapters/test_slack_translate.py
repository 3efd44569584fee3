"""Pure Slack translation: recorded payloads -> core types, markup -> plain text,
text -> safe mrkdwn, slash-command parsing, button values. Properties by Hypothesis."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack.translate import (
    VALUE_LIMIT,
    ButtonValue,
    Command,
    CommandKind,
    Route,
    clip_plain,
    decode_value,
    encode_value,
    mention_question,
    parse_command,
    route_message,
    safe_mrkdwn,
    slack_length,
    to_plain,
)
from bot.types import Platform
from tests.adapters.slack_harness import payload

BOT = "UGMCBOT"
PINGS = re.compile(r"<[!@#]|@(?:here|channel|everyone)\b", re.IGNORECASE)

# Slack markup a user could type (or paste) to try to ping people through the bot.
INJECTIONS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!here|here>",
    "<@U024BE7LH>",
    "<@U024BE7LH|ann>",
    "<!subteam^S012ABCDEF|@ig-team>",
    "<!subteam^S012ABCDEF>",
    "@here",
    "@channel",
    "@everyone",
    "@HERE please",
    "&lt;!channel&gt;",
    "<<!channel>>",
    "<!channel",
    "!channel>",
    "<#C0WARD|ward>",
    "<!date^1392734382^{date}|Feb 18>",
    "<https://evil.example|click me>",
]


# -- recorded payloads -------------------------------------------------------------------
def test_channel_message_becomes_a_message_to_screen_with_markup_made_plain() -> None:
    body = payload("event_message_channel")
    route, message = route_message(body["event"], body["team_id"], BOT)
    assert route is Route.SCREEN and message is not None
    assert message.text == (
        "Handover & jobs for tonight: bay 3 needs bloods, @someone can you check the "
        "<urgent> list? rota (https://intranet.example.nhs.uk/rota)"
    )
    assert message.actor.user_id == "U0ANN"
    conv = message.conversation
    assert (conv.platform, conv.workspace, conv.channel, conv.thread, conv.is_direct) == (
        Platform.SLACK,
        "T0TRUST",
        "C0WARD",
        "",
        False,
    )
    assert message.ref == "1700000100.000200"


def test_thread_reply_in_a_private_channel_keeps_its_thread_and_email_label() -> None:
    body = payload("event_message_thread")
    route, message = route_message(body["event"], body["team_id"], BOT)
    assert route is Route.SCREEN and message is not None
    assert message.conversation.thread == "1700000100.000200"
    assert message.conversation.channel == "G0PRIVATE"
    assert message.text == "Reply in thread about @here the ann.smith@nhs.net rota"


def test_direct_message_is_a_question() -> None:
    body = payload("event_message_im")
    route, message = route_message(body["event"], body["team_id"], BOT)
    assert route is Route.QUESTION and message is not None
    assert message.conversation.is_direct and message.conversation.channel == "D0ANNDM"


@pytest.mark.parametrize(
    "name", ["event_message_bot", "event_message_own", "event_channel_join", "event_message_changed_unfurl"]
)
def test_bots_joins_and_unfurls_are_ignored(name: str) -> None:
    body = payload(name)
    assert route_message(body["event"], body["team_id"], BOT) == (Route.IGNORE, None)


def test_own_user_id_is_ignored_even_without_bot_id() -> None:
    event = payload("event_message_channel")["event"]
    event["user"] = BOT
    assert route_message(event, "T0TRUST", BOT)[0] is Route.IGNORE


def test_edit_that_changes_the_text_is_screened_as_the_new_text() -> None:
    body = payload("event_message_changed_edit")
    route, message = route_message(body["event"], body["team_id"], BOT)
    assert route is Route.SCREEN and message is not None
    assert message.text == "bed 4 is Mr Jones, DOB 01/02/1950"
    assert message.ref == "1700000600.000100" and message.actor.user_id == "U0ANN"


def test_image_upload_without_text_is_screened_as_an_image() -> None:
    body = payload("event_message_file_share")
    route, message = route_message(body["event"], body["team_id"], BOT)
    assert route is Route.SCREEN and message is not None and message.has_image


def test_mention_question_drops_the_bot_mention_only() -> None:
    event = payload("event_app_mention")["event"]
    assert mention_question(event["text"], BOT) == (
        "can I post a photo of a patient's x-ray on Instagram if I crop the name?"
    )
    assert mention_question("<@UGMCBOT|gmcbot> ask <@U0BEN> about it", BOT) == "ask @someone about it"


def test_slash_command_payload_is_a_question() -> None:
    form = payload("command_gmc")
    command = parse_command(form["text"])
    assert command.kind is CommandKind.QUESTION
    assert command.question == "can I accept a friend request from a patient on facebook?"


def test_share_button_value_carries_references_only() -> None:
    action = payload("block_actions_share")["actions"][0]
    assert decode_value(action["value"]) == ButtonValue("5f0c2a9e71b3d4e8", ("gmc-sm-2024:3", "gmc-sm-2013:11"))
    # A value in the old form (the question itself) decodes to nothing usable.
    assert decode_value('{"q": "patient John Carter, can I post?"}') == ButtonValue()


# -- commands ------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "?"])
def test_empty_or_help_gives_help(text: str) -> None:
    assert parse_command(text).kind is CommandKind.HELP


@pytest.mark.parametrize(
    ("text", "setting", "value"),
    [
        ("settings", "", ""),
        ("settings show", "", ""),
        ("settings monitor on", "monitor", "on"),
        ("Settings screening OFF", "monitor", "off"),
        ("settings moderators <#C0MODS|ig-moderators>", "moderators", "C0MODS"),
        ("settings moderators C0MODS", "moderators", "C0MODS"),
        ("settings moderators off", "moderators", ""),
        ("settings audience Nurses", "audience", "nurses"),
        ("settings audience off", "audience", ""),
    ],
)
def test_settings_commands(text: str, setting: str, value: str) -> None:
    command = parse_command(text)
    assert (command.kind, command.setting, command.value, command.error) == (CommandKind.SETTINGS, setting, value, "")


@pytest.mark.parametrize(
    "text",
    ["settings monitor maybe", "settings moderators #ig-moderators", "settings colour blue", "settings audience GPs"],
)
def test_bad_settings_commands_explain_themselves(text: str) -> None:
    command = parse_command(text)
    assert command.kind is CommandKind.SETTINGS and command.error


@pytest.mark.parametrize(
    ("text", "value"),
    [("profession", ""), ("profession  staff   nurse", "staff nurse"), ("Profession FY1", "FY1"), ("role PA", "PA")],
)
def test_profession_commands(text: str, value: str) -> None:
    assert parse_command(text) == Command(CommandKind.PROFESSION, value=value)


def test_professional_questions_are_questions() -> None:
    assert parse_command("professional boundaries on facebook?").kind is CommandKind.QUESTION


def test_the_audiences_spelled_out_match_the_core() -> None:
    from adapters.slack.translate import AUDIENCES
    from bot import AUDIENCES as CORE

    assert AUDIENCES == CORE


def test_help_with_words_is_a_question() -> None:
    assert parse_command("help with friend requests").kind is CommandKind.QUESTION


# -- text safety ------------------------------------------------------------------------------
@pytest.mark.parametrize("attack", INJECTIONS)
def test_injected_mentions_cannot_ping_after_the_round_trip(attack: str) -> None:
    out = safe_mrkdwn(to_plain(f"question {attack} end"))
    assert not PINGS.search(out), out
    assert "<" not in out and ">" not in out


def test_escaping_is_exactly_slacks() -> None:
    assert safe_mrkdwn("A & B < C > D") == "A &amp; B &lt; C &gt; D"
    assert to_plain("A &amp; B &lt; C &gt; D &amp;lt;") == "A & B < C > D &lt;"


def test_clipping_counts_utf16_and_keeps_entities_whole() -> None:
    assert safe_mrkdwn("&" * 10, 12) == "&amp;&amp;…"
    emoji = "\U0001f600" * 10  # two UTF-16 units each
    clipped = safe_mrkdwn(emoji, 7)
    assert slack_length(clipped) <= 7 and clipped.endswith("…") and "\ufffd" not in clipped
    assert clip_plain("x" * 100, 75) == "x" * 74 + "…"


# -- properties --------------------------------------------------------------------------------
slackish = st.text(
    alphabet=st.sampled_from(list("<>!@#&|^;:/ .aUCS0123lthereanvyoe\n") + ["\U0001f600", "é"]), max_size=300
)
any_text = st.one_of(st.text(max_size=500), slackish, st.sampled_from(INJECTIONS))


@settings(max_examples=300, deadline=None)
@given(any_text, st.integers(min_value=1, max_value=3000))
def test_safe_mrkdwn_never_pings_and_respects_the_limit(text: str, limit: int) -> None:
    out = safe_mrkdwn(to_plain(text), limit)
    assert slack_length(out) <= limit
    assert not PINGS.search(out)
    assert "<" not in out and ">" not in out


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=5000),
    st.lists(st.text(max_size=60) | st.from_regex(r"[a-z]{2,8}-[a-z]{2,4}-20\d\d:\d{1,3}", fullmatch=True), max_size=8),
    st.booleans(),
)
def test_button_values_fit_and_carry_no_text(typed: str, ids: list[str], low: bool) -> None:
    ref = "0123456789abcdef"
    value = encode_value(ref, [*ids, typed])
    assert len(value) <= VALUE_LIMIT
    decoded = decode_value(encode_value(ref, ids, low))
    assert decoded.ref == ref and decoded.low_confidence == low
    assert set(decoded.citation_ids) <= set(ids) and len(decoded.citation_ids) <= 5
    # Nothing but id-shaped strings travels: arbitrary typed text never does.
    if typed.strip() and not re.fullmatch(r"[A-Za-z0-9_.:*-]{1,100}", typed):
        assert json.dumps(typed)[1:-1] not in value or typed in json.dumps(ids)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40) | slackish,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "subtype",
                    "user",
                    "text",
                    "channel",
                    "channel_type",
                    "bot_id",
                    "ts",
                    "thread_ts",
                    "message",
                    "previous_message",
                    "files",
                    "mimetype",
                ]
            ),
            children,
            max_size=8,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.text(max_size=20))
def test_translation_never_raises_on_odd_payloads(event: object, text: str) -> None:
    route, message = route_message(event, "T0TRUST", BOT)
    assert (route is Route.IGNORE) == (message is None)
    parse_command(text)
    mention_question(text, BOT)
    decode_value(text)
    decode_value(json.dumps(event))


@settings(max_examples=100, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "type": st.just("message"),
            "user": st.just("U0ANN"),
            "channel": st.just("C0WARD"),
            "text": any_text,
            "ts": st.just("1.2"),
        }
    )
)
def test_screened_text_is_the_plain_text(event: dict[str, str]) -> None:
    route, message = route_message(event, "T0TRUST", BOT)
    if message is not None:
        assert route is Route.SCREEN and message.text == to_plain(event["text"])
    else:
        assert not to_plain(event["text"]).strip()
