"""Who may decide a flag, through the real Bolt app and the fake Web API (issue 16): the
poster answers their own notice until a moderator decides; moderators decide from the
moderators' channel (or as workspace admins); refusals are private and change nothing."""

from __future__ import annotations

from typing import Any

from adapters.slack import blocks as bk
from bot.review import ALREADY_DECIDED, NOT_MODERATOR, NOT_POSTER, OWN_MESSAGE
from bot.types import FlagStatus
from tests.adapters.slack_harness import SlackHarness, find_button
from tests.adapters.test_slack_app import FLAGGED, blocks_of, monitor
from tests.fakes.slack_api import RESPONSE_METHOD, Call


def flagged(slack: SlackHarness, poster: str = "U0ANN") -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """Post a flagged message; returns the flag id, the poster's notice and the moderators' notice."""
    monitor(slack)
    slack.event(slack.message(FLAGGED, user=poster))
    notice = blocks_of(slack.fake.wait_for("chat.postEphemeral")[0])
    mods = blocks_of(slack.fake.wait_for("chat.postMessage")[0])
    (flag_id,) = slack.bot.records.flags  # type: ignore[attr-defined]
    return flag_id, notice, mods


def reply(slack: SlackHarness, name: str) -> Call:
    return slack.fake.wait_for(RESPONSE_METHOD, where=lambda c: c.path.endswith(f"/{name}"))[0]


def review(
    slack: SlackHarness, mods: list[dict[str, Any]], action_id: str, *, user: str, channel: str, name: str
) -> Call:
    slack.action(
        find_button(mods, action_id),
        user=user,
        channel=channel,
        ephemeral=False,
        name=name,
        message={"type": "message", "ts": "1.2", "blocks": mods},
    )
    return reply(slack, name)


def status(slack: SlackHarness, flag_id: str) -> FlagStatus:
    record = slack.bot.records.flag(flag_id)
    assert record is not None
    return record.status


def refused_privately(call: Call, message: str) -> None:
    assert call.params["response_type"] == "ephemeral" and call.params["replace_original"] is False
    assert call.params["text"] == message


def test_a_confirmed_flag_cannot_be_reset_by_its_poster_nor_changed_outside_the_moderators_channel(
    slack: SlackHarness,
) -> None:
    """The incident in issue 16, replayed: both clicks are refused privately."""
    flag_id, notice, mods = flagged(slack)
    confirmed = review(slack, mods, bk.REVIEW_CONFIRM, user="U0MOD", channel="C0MODS", name="confirm")
    assert "<@U0MOD> confirmed this flag." in confirmed.params["text"]
    assert status(slack, flag_id) is FlagStatus.CONFIRMED

    slack.action(find_button(notice, bk.FLAG_FALSE_ALARM), name="poster")
    refused_privately(reply(slack, "poster"), ALREADY_DECIDED)
    assert status(slack, flag_id) is FlagStatus.CONFIRMED

    outside = review(slack, mods, bk.REVIEW_FALSE_ALARM, user="U0NOSY", channel="C0WARD", name="outside")
    refused_privately(outside, NOT_MODERATOR)
    assert status(slack, flag_id) is FlagStatus.CONFIRMED

    events = slack.bot.records.flag_events(flag_id)
    assert [(e.role, e.to_status, e.source) for e in events] == [("moderator", FlagStatus.CONFIRMED, "slack")]
    assert events[0].actor_hash == slack.bot.records.pseudonym("U0MOD")


def test_only_the_poster_answers_the_notice_and_may_change_their_mind_until_decided(slack: SlackHarness) -> None:
    flag_id, notice, mods = flagged(slack)
    slack.action(find_button(notice, bk.FLAG_FALSE_ALARM), user="U0SOMEONE", name="someone")
    refused_privately(reply(slack, "someone"), NOT_POSTER)
    assert status(slack, flag_id) is FlagStatus.OPEN

    slack.action(find_button(notice, bk.FLAG_FALSE_ALARM), name="poster1")
    assert reply(slack, "poster1").params["replace_original"] is True
    slack.action(find_button(notice, bk.FLAG_REMOVING), name="poster2")
    assert reply(slack, "poster2").params["replace_original"] is True
    assert status(slack, flag_id) is FlagStatus.REMOVED
    review(slack, mods, bk.REVIEW_FALSE_ALARM, user="U0MOD", channel="C0MODS", name="mod")
    assert status(slack, flag_id) is FlagStatus.FALSE_ALARM
    record = slack.bot.records.flags[flag_id]  # type: ignore[attr-defined]
    assert record.decided and record.reviewer_hash == slack.bot.records.pseudonym("U0MOD")
    assert [e.role for e in slack.bot.records.flag_events(flag_id)] == ["poster", "poster", "moderator"]


def test_a_moderator_cannot_decide_their_own_flag(slack: SlackHarness) -> None:
    flag_id, _, mods = flagged(slack, poster="U0MOD")
    refused_privately(review(slack, mods, bk.REVIEW_CONFIRM, user="U0MOD", channel="C0MODS", name="own"), OWN_MESSAGE)
    assert status(slack, flag_id) is FlagStatus.OPEN


def test_a_workspace_admin_counts_as_a_moderator_anywhere(slack: SlackHarness) -> None:
    flag_id, _, mods = flagged(slack)
    review(slack, mods, bk.REVIEW_CONFIRM, user="U0ADMIN", channel="C0WARD", name="admin")
    assert status(slack, flag_id) is FlagStatus.CONFIRMED


def test_a_forged_flag_id_is_answered_privately(slack: SlackHarness) -> None:
    flagged(slack)
    slack.action(
        {"action_id": bk.REVIEW_CONFIRM, "value": "f" * 32},
        user="U0MOD",
        channel="C0MODS",
        name="forged",
        ephemeral=False,
    )
    call = reply(slack, "forged")
    assert call.params["response_type"] == "ephemeral" and "no longer have a record" in call.params["text"]
