"""The Records contract on SQLite and PostgreSQL: claims, flags, outcomes, feedback,
channel settings, pseudonyms, retention."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.records import DEDUP_SECONDS, pseudonymise
from bot.store import SqlRecords
from bot.store.sql import EVENTS, FLAGS
from bot.types import Actor, Category, ChannelSettings, Conversation, Flag, FlagStatus, Message, Platform


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def message(user: str = "U123", channel: str = "C1", ref: str = "https://x.slack.com/archives/C1/p1") -> Message:
    return Message(
        text="never stored",
        actor=Actor(user),
        ref=ref,
        conversation=Conversation(Platform.SLACK, workspace="T9", channel=channel),
    )


def test_claim_event_is_true_once_per_platform_and_id(store: SqlRecords) -> None:
    assert store.claim_event("slack", "Ev1") is True
    assert store.claim_event("slack", "Ev1") is False
    assert store.claim_event("discord", "Ev1") is True
    assert store.claim_event("slack", "Ev2") is True


def test_a_second_process_sees_the_claim(store: SqlRecords, open_store: Callable[..., SqlRecords]) -> None:
    other = open_store()
    assert store.claim_event("slack", "Ev1") is True
    assert other.claim_event("slack", "Ev1") is False


def test_flag_round_trip_with_pseudonymised_user(store: SqlRecords, make_flag: Callable[..., Flag]) -> None:
    flag = make_flag(rule_ids=("r1", "r2"))
    flag_id = store.record_flag(message(), flag)
    [record] = store.flags()
    assert record.flag_id == flag_id
    assert (record.platform, record.workspace, record.channel) == ("slack", "T9", "C1")
    assert record.message_ref == "https://x.slack.com/archives/C1/p1"
    assert record.category == "patient-identifiable" and record.severity == "high"
    assert record.rule_ids == ("r1", "r2")
    assert record.citation_ids == ("gmc-sm-2024:19", "gmc-conf-2017:121")
    assert record.redacted == flag.redacted
    assert record.status is FlagStatus.OPEN and record.reviewed is None and record.reviewer_hash == ""
    assert len(record.user_hash) == 32 and "U123" not in record.user_hash


def test_generated_key_keeps_pseudonyms_stable_across_reopen(
    open_store: Callable[..., SqlRecords], make_flag: Callable[..., Flag]
) -> None:
    first = open_store()
    first.record_flag(message(user="U42"), make_flag())
    [before] = first.flags()
    first.close()
    second = open_store()
    second.record_flag(message(user="U42"), make_flag())
    second.record_flag(message(user="U43"), make_flag())
    hashes = [r.user_hash for r in second.flags()]
    assert hashes.count(before.user_hash) == 2
    assert len(set(hashes)) == 2


def test_env_key_decides_the_pseudonym(
    open_store: Callable[..., SqlRecords], db_settings: Settings, make_flag: Callable[..., Flag]
) -> None:
    records = open_store(db_settings.replace(pseudonym_key="a-secret-from-the-environment"))
    records.record_flag(message(user="U7"), make_flag())
    [record] = records.flags()
    assert record.user_hash == pseudonymise(b"a-secret-from-the-environment", "U7")


def test_set_flag_status_records_reviewer_and_time(
    open_store: Callable[..., SqlRecords], db_settings: Settings, make_flag: Callable[..., Flag]
) -> None:
    store = open_store(db_settings.replace(pseudonym_key="reviewer-test-key"))
    flag_id = store.record_flag(message(), make_flag())
    assert store.set_flag_status(flag_id, FlagStatus.FALSE_ALARM, Actor("UREVIEWER")) is True
    [record] = store.flags()
    assert record.status is FlagStatus.FALSE_ALARM
    assert record.reviewer_hash == pseudonymise(b"reviewer-test-key", "UREVIEWER")
    assert record.reviewed is not None and record.reviewed >= record.created
    assert store.set_flag_status("no-such-flag", FlagStatus.CONFIRMED) is False


def test_flag_filters(open_store: Callable[..., SqlRecords], make_flag: Callable[..., Flag]) -> None:
    clock = FakeClock()
    store = open_store(clock=clock)
    old = store.record_flag(message(channel="C1"), make_flag())
    clock.advance(days=10)
    new = store.record_flag(message(channel="C2"), make_flag(category=Category.DISRESPECT))
    store.set_flag_status(new, FlagStatus.CONFIRMED)
    assert [r.flag_id for r in store.flags()] == [new, old]  # newest first
    assert [r.flag_id for r in store.flags(since=clock.now - timedelta(days=1))] == [new]
    assert [r.flag_id for r in store.flags(status=FlagStatus.OPEN)] == [old]
    assert [r.flag_id for r in store.flags(channel="C2")] == [new]
    assert [r.flag_id for r in store.flags(limit=1)] == [new]


def test_feedback_round_trip(store: SqlRecords) -> None:
    store.record_feedback("slack", Actor("U1"), "can I post about [NAME]?", ["gmc-sm-2024:19"], True)
    store.record_feedback("discord", Actor("U2"), "other", [], False)
    records = store.feedback()
    assert {(r.platform, r.question_redacted, r.citation_ids, r.helpful) for r in records} == {
        ("slack", "can I post about [NAME]?", ("gmc-sm-2024:19",), True),
        ("discord", "other", (), False),
    }
    assert all(r.user_hash not in ("U1", "U2") for r in records)


def test_channel_settings_default_then_update(store: SqlRecords, open_store: Callable[..., SqlRecords]) -> None:
    default = store.channel_settings(Platform.SLACK, "T9", "C1")
    assert default == ChannelSettings(Platform.SLACK, "T9", "C1")
    assert default.monitored is False
    changed = ChannelSettings(Platform.SLACK, "T9", "C1", monitored=True, moderators_channel="CMOD", sensitivity="high")
    store.update_channel_settings(changed)
    assert store.channel_settings(Platform.SLACK, "T9", "C1") == changed
    other_process = open_store()
    assert other_process.channel_settings(Platform.SLACK, "T9", "C1") == changed
    store.update_channel_settings(ChannelSettings(Platform.SLACK, "T9", "C1", monitored=False))
    assert other_process.channel_settings(Platform.SLACK, "T9", "C1").monitored is False
    assert other_process.channel_settings(Platform.SLACK, "T9", "C2").monitored is False
    assert [s.channel for s in store.all_channel_settings()] == ["C1"]


def test_channel_settings_reject_unknown_sensitivity(store: SqlRecords) -> None:
    with pytest.raises(ValueError, match="sensitivity"):
        store.update_channel_settings(ChannelSettings(Platform.SLACK, "T9", "C1", sensitivity="extreme"))


def test_purge_removes_only_older_records(
    open_store: Callable[..., SqlRecords], make_flag: Callable[..., Flag]
) -> None:
    clock = FakeClock()
    store = open_store(clock=clock)
    store.record_flag(message(), make_flag())
    store.record_feedback("slack", Actor("U1"), "q", [], True)
    clock.advance(days=100)
    kept = store.record_flag(message(), make_flag())
    store.record_feedback("slack", Actor("U1"), "q2", [], False)
    counts = store.purge(timedelta(days=90))
    assert (counts.flags, counts.feedback) == (1, 1)
    assert [r.flag_id for r in store.flags()] == [kept]
    assert [r.question_redacted for r in store.feedback()] == ["q2"]


def test_retention_is_applied_automatically_at_open(
    open_store: Callable[..., SqlRecords], db_settings: Settings, make_flag: Callable[..., Flag]
) -> None:
    clock = FakeClock()
    writer = open_store(clock=clock)
    writer.record_flag(message(), make_flag())
    writer.close()
    clock.advance(days=31)
    reopened = open_store(db_settings.replace(retention_days=30), clock=clock)
    assert reopened.flags() == []


def test_old_event_ids_are_forgotten_after_the_window(open_store: Callable[..., SqlRecords]) -> None:
    clock = FakeClock()
    store = open_store(clock=clock)
    assert store.claim_event("slack", "Ev1")
    clock.advance(seconds=DEDUP_SECONDS - 60)
    assert store.claim_event("slack", "Ev1") is False  # still inside the window
    clock.advance(seconds=120)
    assert store.maintain().events == 1
    with store.engine.connect() as conn:
        assert conn.execute(select(EVENTS)).all() == []
    assert store.claim_event("slack", "Ev1") is True


def test_status_values_are_constrained_in_the_database(store: SqlRecords, make_flag: Callable[..., Flag]) -> None:
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    flag_id = store.record_flag(message(), make_flag())
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(update(FLAGS).where(FLAGS.c.id == flag_id).values(status="deleted"))
