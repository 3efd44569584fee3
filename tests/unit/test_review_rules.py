"""The state machine deciding who may change a flag (bot/review.py), on in-memory records."""

from __future__ import annotations

import itertools

import pytest

from bot.records import MemoryRecords
from bot.review import (
    ALREADY_DECIDED,
    CONSOLE_PERMISSIONS,
    NOT_MODERATOR,
    NOT_POSTER,
    OWN_MESSAGE,
    READ_ONLY,
    Outcome,
    Permission,
    Role,
    decide,
    may,
)
from bot.types import Actor, Category, ChannelSettings, Conversation, Flag, FlagStatus, Message, Platform, Severity

POSTER = Actor("U0POSTER")
MOD = Actor("U0MOD")
OTHER = Actor("U0OTHER")


def flagged(records: MemoryRecords, moderators: str = "C0MODS") -> str:
    records.update_channel_settings(ChannelSettings(Platform.SLACK, "T1", "C0WARD", True, moderators))
    message = Message("[NAME] in bay 4", POSTER, Conversation(Platform.SLACK, "T1", "C0WARD"), ref="1.1")
    return records.record_flag(message, Flag(Category.PATIENT_IDENTIFIABLE, Severity.HIGH, ("r",), (), "[NAME]"))


def test_poster_may_answer_until_a_moderator_decides_then_never() -> None:
    records = MemoryRecords()
    fid = flagged(records)
    assert decide(records, fid, FlagStatus.FALSE_ALARM, POSTER, Role.POSTER).outcome is Outcome.CHANGED
    assert decide(records, fid, FlagStatus.REMOVED, POSTER, Role.POSTER).outcome is Outcome.CHANGED  # changed mind
    done = decide(records, fid, FlagStatus.CONFIRMED, MOD, Role.MODERATOR, from_channel="C0MODS", workspace="T1")
    assert done.outcome is Outcome.CHANGED and done.flag is not None and done.flag.decided
    # The reported bug: the poster reset a confirmed flag to "false alarm".
    again = decide(records, fid, FlagStatus.FALSE_ALARM, POSTER, Role.POSTER)
    assert (again.outcome, again.message) == (Outcome.REFUSED, ALREADY_DECIDED)
    assert records.flags[fid].status is FlagStatus.CONFIRMED
    # A moderator may still change a decided flag; every change is an event with pseudonyms.
    assert decide(records, fid, FlagStatus.FALSE_ALARM, MOD, Role.MODERATOR, vouched=True).outcome is Outcome.CHANGED
    events = records.flag_events(fid)
    assert [(e.role, e.from_status, e.to_status) for e in events] == [
        ("poster", FlagStatus.OPEN, FlagStatus.FALSE_ALARM),
        ("poster", FlagStatus.FALSE_ALARM, FlagStatus.REMOVED),
        ("moderator", FlagStatus.REMOVED, FlagStatus.CONFIRMED),
        ("moderator", FlagStatus.CONFIRMED, FlagStatus.FALSE_ALARM),
    ]
    assert events[0].actor_hash == records.pseudonym("U0POSTER") != "U0POSTER"
    assert events[2].actor_hash == records.pseudonym("U0MOD") and all(e.created > 0 for e in events)


def test_only_the_poster_answers_the_poster_notice() -> None:
    records = MemoryRecords()
    fid = flagged(records)
    refused = decide(records, fid, FlagStatus.FALSE_ALARM, OTHER, Role.POSTER)
    assert (refused.outcome, refused.message) == (Outcome.REFUSED, NOT_POSTER)
    assert records.flags[fid].status is FlagStatus.OPEN and records.flag_events() == []


@pytest.mark.parametrize(
    ("channel", "workspace"), [("C0WARD", "T1"), ("C0ELSEWHERE", "T1"), ("C0MODS", "T2"), ("", "")]
)
def test_a_moderator_outside_the_moderators_channel_is_refused(channel: str, workspace: str) -> None:
    records = MemoryRecords()
    fid = flagged(records)
    refused = decide(
        records, fid, FlagStatus.CONFIRMED, OTHER, Role.MODERATOR, from_channel=channel, workspace=workspace
    )
    assert (refused.outcome, refused.message) == (Outcome.REFUSED, NOT_MODERATOR)
    assert records.flags[fid].status is FlagStatus.OPEN


def test_a_moderator_role_in_another_server_is_refused() -> None:
    records = MemoryRecords()
    fid = flagged(records)
    assert (
        decide(records, fid, FlagStatus.CONFIRMED, MOD, Role.MODERATOR, vouched=True, workspace="T2").message
        == NOT_MODERATOR
    )


def test_the_default_moderators_channel_counts_when_the_channel_has_none() -> None:
    records = MemoryRecords()
    fid = flagged(records, moderators="")
    assert (
        decide(records, fid, FlagStatus.CONFIRMED, MOD, Role.MODERATOR, from_channel="C0DEFAULT").message
        == NOT_MODERATOR
    )
    assert (
        decide(
            records,
            fid,
            FlagStatus.CONFIRMED,
            MOD,
            Role.MODERATOR,
            from_channel="C0DEFAULT",
            default_moderators="C0DEFAULT",
        ).outcome
        is Outcome.CHANGED
    )


def test_no_one_decides_their_own_flag_and_roles_keep_to_their_statuses() -> None:
    records = MemoryRecords()
    fid = flagged(records)
    assert decide(records, fid, FlagStatus.CONFIRMED, POSTER, Role.MODERATOR, vouched=True).message == OWN_MESSAGE
    assert decide(records, fid, FlagStatus.CONFIRMED, POSTER, Role.POSTER).outcome is Outcome.REFUSED
    assert decide(records, fid, FlagStatus.REMOVED, MOD, Role.MODERATOR, vouched=True).outcome is Outcome.REFUSED
    assert decide(records, fid, FlagStatus.OPEN, MOD, Role.IG_LEAD, vouched=True).outcome is Outcome.REFUSED
    assert decide(records, fid, FlagStatus.CONFIRMED, MOD, Role.AUDITOR, vouched=True).message == READ_ONLY
    assert records.flag_events() == []


def test_unknown_flag_and_repeated_decisions() -> None:
    records = MemoryRecords()
    fid = flagged(records)
    assert decide(records, "0" * 32, FlagStatus.CONFIRMED, MOD, Role.MODERATOR, vouched=True).outcome is Outcome.UNKNOWN
    assert decide(records, fid, FlagStatus.CONFIRMED, MOD, Role.MODERATOR, vouched=True).outcome is Outcome.CHANGED
    assert decide(records, fid, FlagStatus.CONFIRMED, MOD, Role.MODERATOR, vouched=True).outcome is Outcome.UNCHANGED
    assert len(records.flag_events()) == 1


def test_every_sequence_of_clicks_keeps_the_rules() -> None:
    """Whatever order posters, moderators and others click in: a decided flag never changes
    but by a moderator, the poster never confirms, and each change is one event."""
    clicks = [(a, s, r) for a in (POSTER, MOD, OTHER) for s in FlagStatus for r in (Role.POSTER, Role.MODERATOR)]
    for sequence in itertools.islice(itertools.product(clicks, repeat=3), 0, None, 7):
        records = MemoryRecords()
        fid = flagged(records)
        for actor, status, role in sequence:
            before = records.flags[fid]
            result = decide(
                records, fid, status, actor, role, from_channel="C0MODS" if actor is MOD else "C0WARD", workspace="T1"
            )
            after = records.flags[fid]
            if result.outcome is Outcome.CHANGED:
                assert not (before.decided and role is Role.POSTER)
                assert after.status is not FlagStatus.CONFIRMED or role is Role.MODERATOR
                assert actor is (POSTER if role is Role.POSTER else MOD)
            else:
                assert after == before
        assert len(records.flag_events()) == sum(1 for _ in records.flag_events(fid))


def test_console_permissions() -> None:
    assert may("ig-lead", Permission.RETENTION) and may(Role.IG_LEAD, Permission.DECIDE)
    assert may("moderator", Permission.DECIDE) and not may("moderator", Permission.EXPORT)
    assert may("auditor", Permission.EXPORT) and not may("auditor", Permission.DECIDE)
    assert not may("auditor", Permission.RETENTION) and not may("nobody", Permission.VIEW)
    assert set(CONSOLE_PERMISSIONS) == {Role.IG_LEAD, Role.MODERATOR, Role.AUDITOR}
