"""Saved professions and the channel audience in the durable store, on SQLite and
PostgreSQL: round trip across processes, clearing deletes the row, values constrained,
only the audience and a pseudonym kept (never the words typed nor a question), and a
profession saved while the database is away written when it returns."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from bot.config import Settings
from bot.records import pseudonymise
from bot.service import GuidanceBot
from bot.store import SqlRecords
from bot.store.sql import PROFESSIONS, SETTINGS, utcnow
from bot.types import Actor, ChannelSettings, Platform
from bot.usecases import Person, ProfessionStatus, Question, UseCases
from index.embedders import HashingEmbedder
from tests.db.test_db_no_patient_data import stored_text
from tests.db.test_db_outage import Outage, outage, wait_until  # noqa: F401 - the outage fixture

NURSE = Actor("U-NURSE-1")


def test_a_profession_round_trips_between_processes_and_clearing_deletes_it(
    store: SqlRecords, open_store: Callable[..., SqlRecords]
) -> None:
    assert store.profession(Platform.SLACK, "T1", NURSE) is None
    store.set_profession(Platform.SLACK, "T1", NURSE, "nurses")
    other = open_store()
    assert other.profession(Platform.SLACK, "T1", NURSE) == "nurses"
    assert other.profession(Platform.SLACK, "T2", NURSE) is None  # per workspace
    assert other.profession(Platform.DISCORD, "T1", NURSE) is None  # per platform
    assert other.profession(Platform.SLACK, "T1", Actor("U-OTHER")) is None
    store.set_profession(Platform.SLACK, "T1", NURSE, "ahp")  # a change replaces it
    assert other.profession(Platform.SLACK, "T1", NURSE) == "ahp"
    other.set_profession(Platform.SLACK, "T1", NURSE, None)
    assert store.profession(Platform.SLACK, "T1", NURSE) is None
    with store.engine.connect() as conn:
        assert conn.execute(select(PROFESSIONS)).all() == []  # forgotten, not blanked


def test_only_an_audience_the_corpus_knows_is_kept(store: SqlRecords) -> None:
    with pytest.raises(ValueError, match="audience"):
        store.set_profession(Platform.SLACK, "T1", NURSE, "pharmacists")
    with pytest.raises(ValueError, match="audience"):
        store.update_channel_settings(ChannelSettings(Platform.SLACK, "T1", "C1", audience="everyone"))
    row = {"platform": "slack", "workspace": "T1", "user_hash": "x", "audience": "pharmacists", "updated": utcnow()}
    with pytest.raises(IntegrityError), store.engine.begin() as conn:  # the database says no too
        conn.execute(insert(PROFESSIONS).values(**row))


def test_the_channel_audience_round_trips(store: SqlRecords, open_store: Callable[..., SqlRecords]) -> None:
    assert store.channel_settings(Platform.TEAMS, "TEAM", "19:c").audience == ""
    store.update_channel_settings(ChannelSettings(Platform.TEAMS, "TEAM", "19:c", audience="nurses"))
    assert open_store().channel_settings(Platform.TEAMS, "TEAM", "19:c").audience == "nurses"
    assert [s.audience for s in store.all_channel_settings()] == ["nurses"]
    with store.engine.connect() as conn:
        assert conn.execute(select(SETTINGS.c.audience)).scalar_one() == "nurses"


def test_nothing_but_the_audience_and_a_pseudonym_is_stored(
    database_url: str, db_settings: Settings, open_store: Callable[..., SqlRecords]
) -> None:
    store = open_store()
    core = UseCases(GuidanceBot(db_settings, embedder=HashingEmbedder(), records=store))
    person = Person(Platform.SLACK, "T1", NURSE)
    said = "staff nurse on ward 7 looking after John Carter NHS 943 476 5919"
    assert core.profession(person, said).status is ProfessionStatus.SAVED
    asked = core.ask(
        Question("Jo Bloggs here, can I post a photo from work on Instagram?", NURSE, Platform.SLACK, "T1")
    )
    assert asked.answered
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(PROFESSIONS)).mappings()]
    assert [(r["platform"], r["workspace"], r["audience"]) for r in rows] == [("slack", "T1", "nurses")]
    assert rows[0]["user_hash"] == pseudonymise(store._key, NURSE.user_id)
    store.close()
    everything = stored_text(database_url)
    for needle in ("U-NURSE-1", "Carter", "943 476 5919", "9434765919", "ward 7", "Bloggs", "Instagram"):
        assert needle not in everything, needle


def test_a_profession_saved_during_an_outage_is_written_when_the_database_returns(
    outage: Outage,  # noqa: F811 - the fixture imported above
    open_store: Callable[..., SqlRecords],
) -> None:
    store = open_store(outage.settings, busy_timeout=0.2)
    store.set_profession(Platform.SLACK, "T1", NURSE, "ahp")
    outage.cut()
    assert store.profession(Platform.SLACK, "T1", NURSE) == "ahp"  # the last value seen
    store.set_profession(Platform.SLACK, "T1", NURSE, "nurses")
    store.set_profession(Platform.SLACK, "T1", Actor("U-GONE"), "doctors")
    store.set_profession(Platform.SLACK, "T1", Actor("U-GONE"), None)
    assert store.profession(Platform.SLACK, "T1", NURSE) == "nurses"
    assert store.pending >= 3
    outage.restore()
    assert wait_until(lambda: store.pending == 0), f"{store.pending} records still waiting"
    fresh = open_store(outage.settings)
    assert fresh.profession(Platform.SLACK, "T1", NURSE) == "nurses"
    assert fresh.profession(Platform.SLACK, "T1", Actor("U-GONE")) is None


def test_reading_a_profession_does_not_queue_behind_the_writers(store: SqlRecords) -> None:
    """Every question reads its asker's profession; with nothing waiting to be written the
    read runs beside the writers instead of waiting for the process's writer lock (under a
    burst, answers queued behind every event's job writes)."""
    store.set_profession(Platform.SLACK, "T1", NURSE, "nurses")
    held, release, found = threading.Event(), threading.Event(), []

    def writer_busy() -> None:
        with store._lock:  # a writer holding the lock, as a burst's job writes do
            held.set()
            release.wait(10)

    writer = threading.Thread(target=writer_busy)
    writer.start()
    assert held.wait(5)
    reader = threading.Thread(target=lambda: found.append(store.profession(Platform.SLACK, "T1", NURSE)))
    reader.start()
    reader.join(5)
    done_while_held = not reader.is_alive()
    release.set()
    writer.join(5)
    reader.join(5)
    assert done_while_held and found == ["nurses"]
