"""The real Bolt app over HTTP on 127.0.0.1 (port 0), signed requests, and the fake Web API.

Assertions wait on the fake (Bolt answers from worker threads).
"""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import pytest

from adapters.slack import blocks as bk
from bot.logsetup import quiet_body_loggers
from bot.render import citation_line
from bot.types import Actor, ChannelSettings, FlagStatus, Platform
from tests.adapters.slack_harness import SlackHarness, find_button, payload, running_slack
from tests.fakes.slack_api import BOT_USER_ID, RESPONSE_METHOD, TEAM_ID, Call, FakeSlackApi
from tests.generated import ADAPTER_MESSAGES, generate
from tests.privacy import identifiers_in, leaks, leaks_among, log_text, risky_lines

QUESTION = "can I accept a friend request from a patient on facebook?"
FLAGGED = "Patient in resus is John Carter, NHS no 943 476 5919"
IDENTIFIERS = ("943 476 5919", "9434765919", "John Carter")
ORDINARY = "Morning all, the coffee machine on level 2 is fixed."
PINGS = re.compile(
    r"<!(?:channel|here|everyone)|<!subteam|<@(?!U0ANN>|U0MOD>|U0ADMIN>)|@(?:here|channel|everyone)\b", re.IGNORECASE
)


def shown(call: Call) -> str:
    """Everything a call displays: text and blocks, without button values."""

    def strip(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "value"}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    blocks = call.params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return json.dumps({"text": call.params.get("text", ""), "blocks": strip(blocks or [])}, ensure_ascii=False)


def blocks_of(call: Call) -> list[dict[str, Any]]:
    blocks = call.params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def monitor(slack: SlackHarness, channel: str = "C0WARD", moderators: str = "C0MODS") -> None:
    slack.bot.update_channel_settings(
        ChannelSettings(Platform.SLACK, TEAM_ID, channel, monitored=True, moderators_channel=moderators)
    )


# -- /gmc ---------------------------------------------------------------------------------------
def test_slash_command_is_acked_at_once_and_answered_ephemerally_with_the_citation(slack: SlackHarness) -> None:
    started = time.monotonic()
    status, body = slack.command(QUESTION)
    assert (status, body) == (200, "")
    assert time.monotonic() - started < 3
    call = slack.fake.wait_for(RESPONSE_METHOD)[0]
    assert call.params["response_type"] == "ephemeral"
    expected = slack.bot.ask(QUESTION)
    assert expected.best is not None
    text = shown(call)
    assert json.dumps(citation_line(expected.best), ensure_ascii=False)[1:-1] in text
    blocks = blocks_of(call)
    assert find_button(blocks, bk.OPEN_LINK)["url"] == expected.best.document.url
    for action_id in (bk.SHARE, bk.HELPFUL, bk.NOT_HELPFUL):
        find_button(blocks, action_id)
    assert slack.fake.calls_to("chat.postMessage") == []


def test_empty_command_gives_help_with_examples(slack: SlackHarness) -> None:
    slack.command("")
    text = shown(slack.fake.wait_for(RESPONSE_METHOD)[0])
    assert "/gmc Can I accept a friend request from a patient?" in text


def test_question_without_readable_words_is_no_match_and_names_who_to_ask(
    fake_slack: FakeSlackApi, slack_data_dir: Path
) -> None:
    with running_slack(fake_slack, slack_data_dir, ask_who="the Trust IG team (ext 4242)") as slack:
        slack.command("\u200b\u200b")
        text = shown(slack.fake.wait_for(RESPONSE_METHOD)[0])
    assert "Nothing in the guidance corpus answers" in text and "the Trust IG team (ext 4242)" in text


def test_ephemeral_falls_back_to_chat_post_ephemeral_when_the_response_url_fails(slack: SlackHarness) -> None:
    form_url = slack.fake.url + "/missing/"  # the fake answers 404 here
    slack.post(
        f"team_id={TEAM_ID}&channel_id=C0WARD&user_id=U0ANN&command=%2Fgmc&text=help&response_url={form_url}",
        "application/x-www-form-urlencoded",
    )
    call = slack.fake.wait_for("chat.postEphemeral")[0]
    assert call.params["user"] == "U0ANN" and call.params["channel"] == "C0WARD"


# -- buttons ----------------------------------------------------------------------------------------
def answer_blocks(slack: SlackHarness, question: str = QUESTION) -> list[dict[str, Any]]:
    slack.command(question, name="answer")
    return blocks_of(slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/answer"))[0])


def test_share_posts_the_same_answer_visibly(slack: SlackHarness) -> None:
    blocks = answer_blocks(slack)
    slack.action(find_button(blocks, bk.SHARE), name="share")
    post = slack.fake.wait_for("chat.postMessage")[0]
    assert post.params["channel"] == "C0WARD"
    shared = blocks_of(post)
    assert [b for b in shared[1:] if b["type"] != "actions"] == [b for b in blocks if b["type"] != "actions"]
    assert "<@U0ANN> shared this answer" in shown(post)
    assert bk.SHARE not in json.dumps(shared)


def test_share_where_the_bot_cannot_post_uses_the_response_url_in_channel(slack: SlackHarness) -> None:
    blocks = answer_blocks(slack)
    slack.action(find_button(blocks, bk.SHARE), channel="D0OTHERDM", name="share")
    call = slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/share"))[0]
    assert call.params["response_type"] == "in_channel" and "shared this answer" in shown(call)
    assert [c.params["channel"] for c in slack.fake.calls_to("chat.postMessage")] == ["D0OTHERDM"]  # refused


@pytest.mark.parametrize(("action_id", "helpful"), [(bk.HELPFUL, True), (bk.NOT_HELPFUL, False)])
def test_feedback_is_stored(slack: SlackHarness, action_id: str, helpful: bool) -> None:
    blocks = answer_blocks(slack)
    slack.action(find_button(blocks, action_id), name="thanks")
    slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/thanks"))
    records = slack.bot.records.feedback  # type: ignore[attr-defined]
    assert len(records) == 1
    expected = slack.bot.ask(QUESTION)
    assert records[0].helpful is helpful and records[0].platform == "slack"
    assert records[0].citation_ids == tuple(c.id for c in expected.citations)
    assert records[0].user_hash and records[0].user_hash != "U0ANN"
    # The button carried a reference; the record has the question's safe excerpt.
    assert records[0].question_redacted == slack.bot.excerpt(QUESTION)


IDENTIFYING_QUESTION = "can I post about Mrs Edna Higginbottom NHS 943 476 5919 on facebook if she agrees?"
TYPED = ("Edna", "Higginbottom", "943 476 5919", "9434765919", "if she agrees")


def test_public_answers_carry_no_question_text(slack: SlackHarness) -> None:
    """Issue 12: an answer posted in a channel (after a mention, or shared) carries ids and
    references only; no payload anyone else can read holds what the asker typed."""
    event = payload("event_app_mention")["event"] | {"text": f"<@{BOT_USER_ID}> {IDENTIFYING_QUESTION}"}
    slack.event(event)
    mention_answer = slack.fake.wait_for("chat.postMessage")[0]
    blocks = answer_blocks(slack, IDENTIFYING_QUESTION)
    slack.action(find_button(blocks, bk.SHARE), name="share")
    shared = slack.fake.wait_for("chat.postMessage", count=2)[1]
    for post in (mention_answer, shared):
        dump = post.text_dump()
        assert [t for t in TYPED if t.lower() in dump.lower()] == []
        for button in (b for block in blocks_of(post) if block["type"] == "actions" for b in block["elements"]):
            assert set(json.loads(button.get("value", "{}")) or {}) <= {"r", "c", "l"}
    # The shared answer's buttons still work: feedback is stored with the excerpt only.
    slack.action(find_button(blocks_of(shared), bk.HELPFUL), name="thanks")
    slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/thanks"))
    (record,) = slack.bot.records.feedback  # type: ignore[attr-defined]
    assert record.question_redacted == "can I post about [NAME] NHS [NHS-NUMBER] on facebook if she agrees?"


def test_more_shows_further_paragraphs(slack: SlackHarness) -> None:
    blocks = answer_blocks(slack)
    slack.action(find_button(blocks, bk.MORE), name="more")
    text = shown(slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/more"))[0])
    expected = slack.bot.ask(QUESTION)
    for c in expected.citations[1:3]:
        assert json.dumps(citation_line(c), ensure_ascii=False)[1:-1] in text


# -- mentions and DMs ------------------------------------------------------------------------------
def test_mention_is_answered_in_the_thread(slack: SlackHarness) -> None:
    event = payload("event_app_mention")["event"]
    assert slack.event(event)[0] == 200
    post = slack.fake.wait_for("chat.postMessage")[0]
    assert post.params["channel"] == "C0WARD" and post.params["thread_ts"] == event["ts"]
    best = slack.bot.ask("can I post a photo of a patient's x-ray on Instagram if I crop the name?").best
    assert best is not None and json.dumps(citation_line(best), ensure_ascii=False)[1:-1] in shown(post)


def test_mention_inside_a_thread_answers_in_that_thread(slack: SlackHarness) -> None:
    event = payload("event_app_mention")["event"] | {"thread_ts": "1700000000.000009"}
    slack.event(event)
    assert slack.fake.wait_for("chat.postMessage")[0].params["thread_ts"] == "1700000000.000009"


def test_direct_message_is_answered_in_the_dm(slack: SlackHarness) -> None:
    slack.event(payload("event_message_im")["event"])
    post = slack.fake.wait_for("chat.postMessage")[0]
    assert post.params["channel"] == "D0ANNDM" and "thread_ts" not in post.params


# -- screening ---------------------------------------------------------------------------------------
def test_flagged_message_gets_a_private_notice_and_a_redacted_moderator_notice(slack: SlackHarness) -> None:
    monitor(slack)
    message = slack.message(FLAGGED)
    slack.event(message)
    notice = slack.fake.wait_for("chat.postEphemeral")[0]
    assert notice.params["user"] == "U0ANN" and notice.params["channel"] == "C0WARD"
    text = shown(notice)
    assert "patient-identifiable information" in text
    mods = slack.fake.wait_for("chat.postMessage")[0]
    assert mods.params["channel"] == "C0MODS"
    assert "Redacted excerpt" in shown(mods) and "<#C0WARD>" in shown(mods)
    permalink = slack.fake.calls_to("chat.getPermalink")[0]
    assert permalink.params["message_ts"] == message["ts"]
    assert find_button(blocks_of(mods), bk.OPEN_LINK)["url"].startswith("https://trust.slack.com/archives/C0WARD/")
    for call in slack.fake.calls:
        for identifier in IDENTIFIERS:
            assert identifier not in call.text_dump(), (call.method, identifier)
    flags = slack.bot.records.flags  # type: ignore[attr-defined]
    assert len(flags) == 1
    (record,) = flags.values()
    assert record.category == "patient-identifiable"
    assert record.message_ref == find_button(blocks_of(mods), bk.OPEN_LINK)["url"]  # the permalink
    assert find_button(blocks_of(notice), bk.FLAG_REMOVING)["value"] == record.flag_id


def test_no_identifier_from_risky_messages_reaches_slack_logs_or_records(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_body_loggers()  # as the runner does
    caplog.set_level(logging.DEBUG)
    monitor(slack)
    lines = [str(row["text"]) for row in risky_lines()][:20]
    assert lines, "no risky evaluation lines found"
    for i, text in enumerate(lines):
        slack.event(slack.message(text, user=f"U0POSTER{i}"))
    expected = sum(1 for text in lines if slack.bot.screen(text).flagged)
    assert expected > 0
    slack.fake.wait_for("chat.postEphemeral", count=expected, timeout=30)
    slack.fake.settle()
    needles = [n for text in lines for n in identifiers_in(text, slack.bot.screen(text))]
    assert needles
    flags = slack.bot.records.flags.values()  # type: ignore[attr-defined]
    haystack = "\n".join(
        [*(c.text_dump() for c in slack.fake.calls), log_text(caplog.records), *(repr(f) for f in flags)]
    )
    assert leaks(needles, haystack) == []


def test_generated_identifiers_never_reach_slack_records_or_logs(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 12, Slack side: generated messages (tests/generated.py, every written form)
    through the real Bolt app; nothing sent to Slack, stored or logged holds a generated value."""
    quiet_body_loggers()
    caplog.set_level(logging.DEBUG)
    monitor(slack)
    generated = [generate(seed) for seed in range(ADAPTER_MESSAGES)]
    for i, g in enumerate(generated):
        slack.event(slack.message(g.text, user=f"U0GEN{i:05d}"))
    expected = sum(1 for g in generated if slack.bot.screen(g.text).flagged)
    assert expected >= sum(g.about_patient for g in generated)
    slack.fake.wait_for("chat.postMessage", count=expected, timeout=60)
    slack.fake.settle()
    flags = slack.bot.records.flags.values()  # type: ignore[attr-defined]
    haystack = "\n".join(
        [*(c.text_dump() for c in slack.fake.calls), log_text(caplog.records), *(repr(f) for f in flags)]
    )
    needles = [n for g in generated for n in g.needles]
    assert [needles[i].text for i in sorted(leaks_among(needles, haystack))] == []


def test_poster_and_moderator_buttons_are_recorded(slack: SlackHarness) -> None:
    monitor(slack)
    slack.event(slack.message(FLAGGED))
    notice = blocks_of(slack.fake.wait_for("chat.postEphemeral")[0])
    mods = slack.fake.wait_for("chat.postMessage")[0]
    (flag_id,) = slack.bot.records.flags  # type: ignore[attr-defined]

    slack.action(find_button(notice, bk.FLAG_FALSE_ALARM), name="poster")
    reply = slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/poster"))[0]
    assert reply.params["replace_original"] is True
    assert slack.bot.records.flags[flag_id].status is FlagStatus.FALSE_ALARM  # type: ignore[attr-defined]

    message = {"type": "message", "ts": "1.2", "blocks": blocks_of(mods)}
    slack.action(
        find_button(blocks_of(mods), bk.REVIEW_CONFIRM),
        user="U0MOD",
        channel="C0MODS",
        message=message,
        ephemeral=False,
        name="review",
    )
    review = slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/review"))[0]
    assert "<@U0MOD> confirmed this flag." in shown(review)
    assert not any(b["type"] == "actions" for b in blocks_of(review))
    record = slack.bot.records.flags[flag_id]  # type: ignore[attr-defined]
    assert record.status is FlagStatus.CONFIRMED and record.reviewer_hash


def sentinel(slack: SlackHarness) -> None:
    """A flagged message from U0SENTINEL in C0WARD, returning once its notice arrived: the
    pipeline ran (screening is loaded) for anything sent before it."""
    slack.event(slack.message(FLAGGED, user="U0SENTINEL"))
    slack.fake.wait_for("chat.postEphemeral", where=lambda c: c.params["user"] == "U0SENTINEL")
    slack.fake.settle()


def test_ordinary_message_gets_nothing(slack: SlackHarness) -> None:
    monitor(slack, moderators="")
    slack.event(slack.message(ORDINARY))
    sentinel(slack)
    assert [c.params["user"] for c in slack.fake.posted()] == ["U0SENTINEL"]


def test_unmonitored_channel_is_not_screened(slack: SlackHarness) -> None:
    monitor(slack, moderators="")
    slack.event(slack.message(FLAGGED, channel="C0OTHER"))
    sentinel(slack)
    assert [c.params["user"] for c in slack.fake.posted()] == ["U0SENTINEL"]
    assert len(slack.bot.records.flags) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["event_message_bot", "event_message_own", "event_channel_join"])
def test_bots_and_joins_are_ignored_in_monitored_channels(slack: SlackHarness, name: str) -> None:
    monitor(slack, moderators="")
    event = payload(name)["event"]
    event["text"] = FLAGGED
    slack.event(event)
    sentinel(slack)
    assert [c.params["user"] for c in slack.fake.posted()] == ["U0SENTINEL"]


# -- security and robustness -----------------------------------------------------------------------------
def test_url_verification_challenge_is_answered(slack: SlackHarness) -> None:
    status, body = slack.post(
        json.dumps(
            {
                "token": "XXYYZZ",
                "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                "type": "url_verification",
            }
        ),
        "application/json",
    )
    assert status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in body


def test_bad_signature_is_refused_and_nothing_is_posted(slack: SlackHarness) -> None:
    monitor(slack)
    assert slack.event(slack.message(FLAGGED), secret="not-the-secret")[0] == 401
    assert slack.command(QUESTION, secret="not-the-secret")[0] == 401
    slack.fake.settle()
    assert slack.fake.posted() == []


def test_request_older_than_five_minutes_is_refused(slack: SlackHarness) -> None:
    monitor(slack)
    old = int(time.time()) - 6 * 60
    assert slack.event(slack.message(FLAGGED), timestamp=old)[0] == 401
    assert slack.command(QUESTION, timestamp=old)[0] == 401
    slack.fake.settle()
    assert slack.fake.posted() == []


def test_retried_event_is_handled_once(slack: SlackHarness) -> None:
    monitor(slack)
    message = slack.message(FLAGGED)
    assert slack.event(message, event_id="Ev0RETRY")[0] == 200
    assert slack.event(message, event_id="Ev0RETRY", retry_num=1)[0] == 200
    assert slack.event(message, event_id="Ev0RETRY", retry_num=2)[0] == 200
    slack.fake.wait_for("chat.postEphemeral")
    slack.fake.settle()
    assert len(slack.fake.calls_to("chat.postEphemeral")) == 1
    assert len(slack.bot.records.flags) == 1  # type: ignore[attr-defined]


def test_first_delivery_of_an_event_marked_as_a_retry_is_processed(slack: SlackHarness) -> None:
    slack.event(payload("event_app_mention")["event"], event_id="Ev0FIRSTSEEN", retry_num=1)
    slack.fake.wait_for("chat.postMessage")


def test_rate_limited_web_api_call_is_retried_after_retry_after(fake_slack: FakeSlackApi, slack_data_dir: Path) -> None:
    with running_slack(fake_slack, slack_data_dir, token="xoxb-ratelimited") as slack:
        slack.event(payload("event_app_mention")["event"])
        slack.fake.wait_for("chat.postMessage", timeout=15)
    attempts = slack.fake.calls_to("chat.postMessage", ok_only=False)
    assert [c.status for c in attempts] == [429, 200]


def test_server_errors_are_retried(fake_slack: FakeSlackApi, slack_data_dir: Path) -> None:
    with running_slack(fake_slack, slack_data_dir, token="xoxb-flaky500") as slack:
        slack.event(payload("event_app_mention")["event"])
        slack.fake.wait_for("chat.postMessage", timeout=15)
    assert [c.status for c in slack.fake.calls_to("chat.postMessage", ok_only=False)] == [500, 200]


def test_failures_are_logged_without_message_text(
    fake_slack: FakeSlackApi, slack_data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="adapters.slack")
    with running_slack(fake_slack, slack_data_dir, token="xoxb-error500") as slack:
        monitor(slack)
        slack.event(slack.message(FLAGGED))
        deadline = time.monotonic() + 20
        while "chat.postMessage failed" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    assert "chat.postEphemeral failed: internal_error (HTTP 500)" in caplog.text
    assert "chat.postMessage failed: internal_error (HTTP 500)" in caplog.text
    for identifier in IDENTIFIERS:
        assert identifier not in caplog.text


def test_user_rate_limit_answers_politely(fake_slack: FakeSlackApi, slack_data_dir: Path) -> None:
    with running_slack(fake_slack, slack_data_dir, rate_limit_per_minute=2) as slack:
        for i in range(3):
            slack.command(QUESTION, name=f"q{i}")
            slack.fake.wait_for(RESPONSE_METHOD, count=i + 1)
        replies = {c.path: shown(c) for c in slack.fake.calls_to(RESPONSE_METHOD)}
        assert "try again in a minute" in replies["/respond/q2"]
        assert "try again" not in replies["/respond/q0"] and "try again" not in replies["/respond/q1"]
        slack.command(QUESTION, user="U0BEN", name="other")
        other = slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/other"))[0]
        assert "try again" not in shown(other)


INJECTION = "<!channel> <!here> <!everyone> <@U024BE7LH> <!subteam^S012AB|@ig-team> @here @channel"


def test_mention_injection_cannot_ping_anyone(slack: SlackHarness) -> None:
    monitor(slack)
    slack.command(f"{INJECTION} can I post a patient photo?", name="cmd")
    slack.event(slack.message(f"{INJECTION} what about friend requests?", channel="D0ANNDM", channel_type="im"))
    slack.event(payload("event_app_mention")["event"] | {"text": f"<@{BOT_USER_ID}> {INJECTION} friend requests?"})
    slack.event(slack.message(f"{INJECTION} {FLAGGED}"))
    slack.fake.wait_for("chat.postMessage", count=3)  # DM answer, mention answer, moderators' notice
    slack.fake.wait_for(RESPONSE_METHOD)
    slack.fake.wait_for("chat.postEphemeral")
    slack.fake.settle()
    for call in slack.fake.posted():
        assert not PINGS.search(shown(call)), (call.method, shown(call))
        assert "S012AB" not in shown(call) and "U024BE7LH" not in shown(call)


def test_forty_thousand_character_messages(slack: SlackHarness) -> None:
    monitor(slack)
    filler = ((ORDINARY + " ") * 1000)[: 40_000 - len(FLAGGED) - 1]
    long_text = filler + " " + FLAGGED
    assert len(long_text) == 40_000
    assert slack.event(slack.message(long_text))[0] == 200
    slack.command(long_text[:39_000] + "?", name="long")
    notice = slack.fake.wait_for("chat.postEphemeral", timeout=20)[0]
    answer = slack.fake.wait_for(RESPONSE_METHOD, timeout=20)[0]
    mods = slack.fake.wait_for("chat.postMessage", timeout=20)[0]
    for call in (notice, answer, mods):
        blocks = blocks_of(call)
        assert len(blocks) <= bk.MAX_BLOCKS
        for block in blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= bk.SECTION_LIMIT
        assert len(call.params["text"]) <= bk.FALLBACK_LIMIT
        for identifier in IDENTIFIERS:
            assert identifier not in call.text_dump()
    assert "first 2,000 characters" in shown(answer)


# -- settings --------------------------------------------------------------------------------------------
def test_settings_are_for_workspace_admins_only(slack: SlackHarness) -> None:
    slack.command("settings monitor on", user="U0ANN")
    reply = shown(slack.fake.wait_for(RESPONSE_METHOD)[0])
    assert "Only workspace admins" in reply
    assert not slack.bot.channel_settings(Platform.SLACK, TEAM_ID, "C0WARD").monitored


def test_admin_turns_screening_on_and_sets_the_moderators_channel(slack: SlackHarness) -> None:
    slack.command("settings monitor on", user="U0ADMIN", name="s1")
    slack.fake.wait_for(RESPONSE_METHOD)
    slack.command("settings moderators <#C0MODS|ig-moderators>", user="U0ADMIN", name="s2")
    reply = slack.fake.wait_for(RESPONSE_METHOD, count=2)[1]
    assert "*on*" in shown(reply) and "<#C0MODS>" in shown(reply)
    cs = slack.bot.channel_settings(Platform.SLACK, TEAM_ID, "C0WARD")
    assert cs.monitored and cs.moderators_channel == "C0MODS"
    slack.action(find_button(blocks_of(reply), bk.MONITOR_OFF), user="U0ADMIN", name="toggle")
    slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/toggle"))
    assert not slack.bot.channel_settings(Platform.SLACK, TEAM_ID, "C0WARD").monitored
    assert [c.params["user"] for c in slack.fake.calls_to("users.info")] == ["U0ADMIN"] * 3


def test_app_home_shows_help(slack: SlackHarness) -> None:
    slack.event({"type": "app_home_opened", "user": "U0ANN", "channel": "D0ANNDM", "tab": "home", "event_ts": "1.2"})
    view = slack.fake.wait_for("views.publish")[0]
    assert view.params["user_id"] == "U0ANN" and "/gmc" in json.dumps(view.params["view"])


def test_the_fake_refuses_what_slack_would_refuse(fake_slack: FakeSlackApi) -> None:
    """The Block Kit checks the loopback tests rely on are live."""
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web import WebClient

    client = WebClient(token="xoxb-test", base_url=fake_slack.api_url)
    for blocks in (
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [bk.section("ok")] * 51,
        [
            {
                "type": "actions",
                "elements": [{"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "x" * 76}}],
            }
        ],
    ):
        with pytest.raises(SlackApiError, match="invalid_blocks"):
            client.chat_postMessage(channel="C0WARD", text="t", blocks=blocks)
    assert client.chat_postMessage(channel="C0WARD", text="t", blocks=[bk.section("ok")])["ok"]


def test_a_replayed_command_sends_its_rate_limit_notice_only_once(
    fake_slack: FakeSlackApi, slack_data_dir: Path
) -> None:
    """The rate-limit notice is the command's answer effect (issue 16): a replay of a job
    whose notice was sent (or under way: a response URL cannot be asked) sends no second."""
    from adapters.slack.app import SlackHandlers, Where
    from adapters.slack.client import Sender, make_client
    from bot import Actor, Question
    from bot.jobs import Durable, MemoryJobs
    from bot.records import MemoryRecords
    from bot.service import GuidanceBot
    from index.embedders import HashingEmbedder
    from tests.adapters.slack_harness import bot_settings

    settings = bot_settings(fake_slack, slack_data_dir, rate_limit_per_minute=1)
    bot = GuidanceBot(settings, embedder=HashingEmbedder())
    durable = Durable(MemoryJobs(MemoryRecords().claim_event), lease_seconds=1, max_age_seconds=60)
    handlers = SlackHandlers(bot, settings, Sender(make_client(settings)), durable=durable)
    where = Where(team=TEAM_ID, user="U0RATE", channel="C0ASK", response_url=fake_slack.response_url("limited"))
    handlers.core.ask(Question(QUESTION, Actor(user_id="U0RATE"), Platform.SLACK, TEAM_ID))  # the minute's one
    job = durable.accept("slack", "command:9.9.9", {})
    assert job is not None
    handlers._current.job = job
    handlers._command(where, QUESTION)  # the live run: the notice
    [stored] = durable.store.take_expired("another", time.time() + 100, time.time() + 200, 5)  # as a crash left it
    handlers._current.job = stored
    handlers._command(where, QUESTION)  # the replay
    handlers._current.job = None
    fake_slack.settle(quiet=0.3)
    notices = fake_slack.calls_to(RESPONSE_METHOD)
    assert len(notices) == 1 and "try again" in shown(notices[0])


# -- /gmc profession (issue 14) --------------------------------------------------------------------
PHOTO = "can I post a photo from work on Instagram?"


def test_profession_is_saved_shown_used_and_cleared_privately(slack: SlackHarness) -> None:
    slack.command("profession", name="p0")
    shown_none = shown(slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/p0"))[0])
    assert "haven't told me your profession" in shown_none and "/gmc profession nurse" in shown_none
    slack.command("profession staff nurse", name="p1")
    saved = slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/p1"))[0]
    assert saved.params["response_type"] == "ephemeral"
    assert "Noted: you'll get NMC guidance first" in shown(saved)
    assert slack.bot.profession(Platform.SLACK, TEAM_ID, Actor("U0ANN")) == "nurses"
    slack.command(PHOTO, name="q1")
    answer = slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/q1"))[0]
    assert find_button(blocks_of(answer), bk.OPEN_LINK)["url"] == slack.bot.corpus.documents["nmc-sm"].url
    slack.command("profession", name="p2")
    assert "You get NMC guidance first" in shown(
        slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/p2"))[0]
    )
    slack.command("profession clear", name="p3")
    assert "forgotten your profession" in shown(
        slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/p3"))[0]
    )
    assert slack.bot.profession(Platform.SLACK, TEAM_ID, Actor("U0ANN")) is None
    assert slack.fake.calls_to("chat.postMessage") == []  # nothing visible to others


def test_a_profession_not_understood_says_what_to_type_and_never_repeats_it(slack: SlackHarness) -> None:
    slack.command("profession pharmacist looking after John Carter", name="p9")
    reply = shown(slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/p9"))[0])
    assert "`/gmc profession nurse`" in reply and "John Carter" not in reply and "pharmacist" not in reply
    assert slack.bot.profession(Platform.SLACK, TEAM_ID, Actor("U0ANN")) is None


def test_help_and_the_home_tab_say_how_to_set_a_profession(slack: SlackHarness) -> None:
    slack.command("help", name="h")
    assert "/gmc profession nurse" in shown(slack.fake.wait_for(RESPONSE_METHOD)[0])


def test_admins_set_a_channel_audience_and_questions_there_follow_it(slack: SlackHarness) -> None:
    slack.command("settings audience ahp", user="U0ANN", name="a0")
    assert "Only workspace admins" in shown(slack.fake.wait_for(RESPONSE_METHOD)[0])
    slack.command("settings audience ahp", user="U0ADMIN", name="a1")
    reply = shown(slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/a1"))[0])
    assert "Audience: *ahp*" in reply
    assert slack.bot.channel_settings(Platform.SLACK, TEAM_ID, "C0WARD").audience == "ahp"
    slack.command(PHOTO, name="q2")
    answer = slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/q2"))[0]
    assert find_button(blocks_of(answer), bk.OPEN_LINK)["url"] == slack.bot.corpus.documents["hcpc-sm-2024"].url
    slack.command("profession midwife", name="p4")  # the asker's own profession comes before the channel's
    slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/p4"))
    slack.command(PHOTO, name="q3")
    answer = slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/q3"))[0]
    assert find_button(blocks_of(answer), bk.OPEN_LINK)["url"] == slack.bot.corpus.documents["nmc-sm"].url
    slack.command("settings audience off", user="U0ADMIN", name="a2")
    slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith("/a2"))
    assert slack.bot.channel_settings(Platform.SLACK, TEAM_ID, "C0WARD").audience == ""
