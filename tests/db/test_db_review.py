"""Flag decisions on SQLite and PostgreSQL: the compare-and-set change with its event,
the 0001 -> 0002 upgrade marking earlier decisions, purge taking events along, declines."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import text

from bot.decisions import FlagChange
from bot.review import ALREADY_DECIDED, Outcome, Role, decide
from bot.store import SqlRecords
from bot.store.engine import make_engine
from bot.store.migrate import _config, upgrade
from bot.store.urls import normalise_url
from bot.types import Actor, ChannelSettings, Conversation, Flag, FlagStatus, Message, Platform
from tests.db.test_db_records import FakeClock


def flag_in(store: SqlRecords, make_flag: Callable[..., Flag], user: str = "U0POSTER") -> str:
    store.update_channel_settings(ChannelSettings(Platform.SLACK, "T9", "C1", True, "C0MODS"))
    return store.record_flag(
        Message("never stored", Actor(user), Conversation(Platform.SLACK, "T9", "C1")), make_flag()
    )


def test_decisions_are_recorded_with_pseudonyms_and_times(
    open_store: Callable[..., SqlRecords], make_flag: Callable[..., Flag]
) -> None:
    clock = FakeClock()
    store = open_store(clock=clock)
    fid = flag_in(store, make_flag)
    assert decide(store, fid, FlagStatus.FALSE_ALARM, Actor("U0POSTER"), Role.POSTER, source="slack").ok
    clock.advance(hours=3)
    result = decide(
        store,
        fid,
        FlagStatus.CONFIRMED,
        Actor("U0MOD"),
        Role.MODERATOR,
        from_channel="C0MODS",
        workspace="T9",
        source="slack",
    )
    assert result.outcome is Outcome.CHANGED and result.flag is not None
    assert result.flag.decided and result.flag.status is FlagStatus.CONFIRMED
    refused = decide(store, fid, FlagStatus.FALSE_ALARM, Actor("U0POSTER"), Role.POSTER, source="slack")
    assert refused.message == ALREADY_DECIDED
    [first, second] = store.flag_events(fid)
    assert (first.role, first.to_status, first.decided, first.actor_hash) == (
        "poster",
        FlagStatus.FALSE_ALARM,
        False,
        store.pseudonym("U0POSTER"),
    )
    assert (second.role, second.source, second.from_status, second.to_status, second.decided) == (
        "moderator",
        "slack",
        FlagStatus.FALSE_ALARM,
        FlagStatus.CONFIRMED,
        True,
    )
    assert second.created - first.created == 3 * 3600
    assert second.actor_hash == store.pseudonym("U0MOD") and "U0MOD" not in second.actor_hash


def test_a_stale_change_does_not_apply(store: SqlRecords, make_flag: Callable[..., Flag]) -> None:
    fid = flag_in(store, make_flag)
    stale = FlagChange(fid, FlagStatus.OPEN, False, FlagStatus.FALSE_ALARM, False, "h", "poster", "slack")
    assert store.change_flag(
        FlagChange(fid, FlagStatus.OPEN, False, FlagStatus.CONFIRMED, True, "m", "moderator", "slack")
    )
    assert not store.change_flag(stale)
    record = store.flag(fid)
    assert record is not None and record.status is FlagStatus.CONFIRMED and len(store.flag_events(fid)) == 1


def test_two_moderators_at_once_make_one_change_each_judged_on_the_latest_state(
    store: SqlRecords, make_flag: Callable[..., Flag]
) -> None:
    fid = flag_in(store, make_flag)
    results = []

    def click(user: str) -> None:
        results.append(decide(store, fid, FlagStatus.CONFIRMED, Actor(user), Role.MODERATOR, vouched=True))

    threads = [threading.Thread(target=click, args=(f"U0MOD{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.outcome.value for r in results) == ["changed", "unchanged", "unchanged", "unchanged"]
    assert len(store.flag_events(fid)) == 1


def test_purge_takes_flag_events_along_and_declines_round_trip(
    open_store: Callable[..., SqlRecords], make_flag: Callable[..., Flag]
) -> None:
    clock = FakeClock()
    store = open_store(clock=clock)
    old = flag_in(store, make_flag)
    decide(store, old, FlagStatus.CONFIRMED, Actor("U0MOD"), Role.MODERATOR, vouched=True)
    store.record_decline("", "no_match", ["tiktok", "colleagues"])
    clock.advance(days=100)
    new = flag_in(store, make_flag)
    decide(store, new, FlagStatus.REMOVED, Actor("U0POSTER"), Role.POSTER)
    store.record_decline("", "low_confidence", ["other"])
    assert [d.topics for d in store.declines()] == [("tiktok", "colleagues"), ("other",)]
    store.purge(timedelta(days=30))
    assert [e.flag_id for e in store.flag_events()] == [new]
    assert [d.status for d in store.declines()] == ["low_confidence"]


def test_upgrade_from_0001_marks_earlier_moderator_outcomes_as_decided(database_url: str) -> None:
    engine = make_engine(normalise_url(database_url))
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0001")
        now = datetime(2026, 1, 1, tzinfo=UTC)
        with engine.begin() as conn:
            for fid, status, reviewer in (
                ("a" * 32, "open", ""),
                ("b" * 32, "false_alarm", "poster"),
                ("c" * 32, "confirmed", "mod"),
                ("d" * 32, "false_alarm", "mod"),
            ):
                conn.execute(
                    text(
                        "INSERT INTO flags (id, created, platform, workspace, channel, message_ref, user_hash, category,"
                        " severity, rule_ids, citation_ids, redacted, status, reviewer_hash) VALUES (:id, :c, 'slack',"
                        " 'T', 'C', '', 'poster', 'x', 'high', '[]', '[]', '', :s, :r)"
                    ),
                    {"id": fid, "c": now, "s": status, "r": reviewer},
                )
        upgrade(engine)
        with engine.connect() as conn:
            decided: dict[object, object] = dict(conn.execute(text("SELECT id, decided FROM flags ORDER BY id")).all())
        assert {str(k)[0]: bool(v) for k, v in decided.items()} == {"a": False, "b": False, "c": True, "d": True}
    finally:
        engine.dispose()
