"""Losing the database while running: answering goes on, records wait in memory
(bounded) and are written when it returns; the loss is logged once.

The outage is real on both backends: PostgreSQL is reached through a loopback TCP
forwarder that the test cuts and restores; SQLite is locked by another connection
holding an exclusive transaction, so writes time out as they would behind a stuck
process.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.service import GuidanceBot
from bot.store import SqlRecords
from bot.types import Actor, AnswerStatus, ChannelSettings, Conversation, Flag, FlagStatus, Message, Platform
from index.embedders import HashingEmbedder
from tests.fakes.tcp_proxy import TcpProxy

PASSWORD = "pw-never-shown"


@dataclass
class Outage:
    settings: Settings
    cut: Callable[[], None]
    restore: Callable[[], None]


@pytest.fixture
def outage(db_settings: Settings) -> Iterator[Outage]:
    url = make_url(db_settings.database_url)
    if url.drivername.startswith("sqlite"):
        holder: list[sqlite3.Connection] = []

        def lock() -> None:
            conn = sqlite3.connect(str(url.database), isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            holder.append(conn)

        def unlock() -> None:
            holder.pop().rollback()

        yield Outage(db_settings, lock, unlock)
        for conn in holder:
            conn.close()
        return
    if not url.host or url.host.startswith("/"):
        pytest.skip("the PostgreSQL test server is on a Unix socket; the outage test needs TCP")
    proxy = TcpProxy(url.host, url.port or 5432)
    via_proxy = url.set(host="127.0.0.1", port=proxy.port, password=PASSWORD)
    try:
        yield Outage(
            db_settings.replace(database_url=via_proxy.render_as_string(hide_password=False)), proxy.cut, proxy.restore
        )
    finally:
        proxy.close()


def message(user: str = "U77", channel: str = "C1") -> Message:
    return Message(
        text="unused",
        actor=Actor(user),
        ref="M1",
        conversation=Conversation(Platform.SLACK, workspace="T1", channel=channel),
    )


def wait_until(condition: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def store_messages(caplog: pytest.LogCaptureFixture, needle: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("bot.store") and needle in r.getMessage()]


def test_records_wait_during_an_outage_and_are_written_when_it_ends(
    outage: Outage,
    open_store: Callable[..., SqlRecords],
    make_flag: Callable[..., Flag],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    store = open_store(outage.settings, busy_timeout=0.2)
    before = store.record_flag(message(), make_flag())
    monitored = ChannelSettings(Platform.SLACK, "T1", "C1", monitored=True, moderators_channel="CMOD")
    store.update_channel_settings(monitored)
    bot = GuidanceBot(outage.settings, embedder=HashingEmbedder(), records=store)

    outage.cut()
    assert bot.claim_event("slack", "Ev-during") is True
    assert bot.claim_event("slack", "Ev-during") is False  # this process still de-duplicates
    during = [bot.record_flag(message(user=f"U{i}"), make_flag(redacted=f"waiting flag {i}")) for i in range(3)]
    assert bot.set_flag_status(before, FlagStatus.CONFIRMED, Actor("UMOD")) is True
    bot.records.record_feedback("slack", Actor("U9"), "waiting question", ["gmc-sm-2024:19"], True)
    bot.update_channel_settings(ChannelSettings(Platform.SLACK, "T1", "C2", monitored=True))
    assert bot.channel_settings(Platform.SLACK, "T1", "C1") == monitored  # last values seen
    answer = bot.ask("can I reply to a patient on Twitter?")  # answering goes on
    assert answer.status in tuple(AnswerStatus)
    assert store.pending >= 6
    assert len(store_messages(caplog, "lost the database")) == 1
    assert caplog.records and all(PASSWORD not in r.getMessage() for r in caplog.records)

    outage.restore()
    assert wait_until(lambda: store.pending == 0), f"{store.pending} records still waiting"
    flags = {r.flag_id: r for r in store.flags()}
    assert set(flags) == {before, *during}
    assert flags[before].status is FlagStatus.CONFIRMED
    assert {flags[i].redacted for i in during} == {"waiting flag 0", "waiting flag 1", "waiting flag 2"}
    assert [f.question_redacted for f in store.feedback()] == ["waiting question"]
    assert store.channel_settings(Platform.SLACK, "T1", "C2").monitored is True
    assert store.claim_event("slack", "Ev-during") is False  # the claim reached the database
    assert len(store_messages(caplog, "lost the database")) == 1
    assert len(store_messages(caplog, "is back")) == 1
    texts = " ".join(r.getMessage() for r in caplog.records)
    assert "waiting flag" not in texts and "waiting question" not in texts and "U77" not in texts


def test_a_second_outage_is_logged_again(
    outage: Outage,
    open_store: Callable[..., SqlRecords],
    make_flag: Callable[..., Flag],
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = open_store(outage.settings, busy_timeout=0.2)
    for _ in range(2):
        outage.cut()
        store.record_flag(message(), make_flag())
        store.record_flag(message(), make_flag())
        outage.restore()
        assert wait_until(lambda: store.pending == 0)
    assert len(store_messages(caplog, "lost the database")) == 2
    assert len(store.flags()) == 4


def test_the_waiting_queue_is_bounded(
    outage: Outage,
    open_store: Callable[..., SqlRecords],
    make_flag: Callable[..., Flag],
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = open_store(outage.settings, busy_timeout=0.2, queue_limit=3, retry_seconds=30)
    outage.cut()
    for i in range(5):
        store.record_flag(message(), make_flag(redacted=f"flag {i}"))
    assert store.pending == 3
    assert len(store_messages(caplog, "dropping further records")) == 1
    outage.restore()
    assert store.flush() is True
    assert sorted(r.redacted for r in store.flags()) == ["flag 0", "flag 1", "flag 2"]
    assert len(store_messages(caplog, "2 records were dropped")) == 1


def test_close_during_an_outage_spills_what_waits_and_the_next_start_writes_it(
    outage: Outage,
    open_store: Callable[..., SqlRecords],
    make_flag: Callable[..., Flag],
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = open_store(outage.settings, busy_timeout=0.2, retry_seconds=30)
    outage.cut()
    flag_id = store.record_flag(message(), make_flag())
    assert store.claim_event("slack", "EvSpill")
    store.close()
    outage.restore()
    assert len(store_messages(caplog, "2 records waiting for")) == 1
    [spilled] = list(outage.settings.data_dir.glob("audit-spill-*.bin"))
    assert spilled.stat().st_mode & 0o077 == 0
    assert b"U77" not in spilled.read_bytes() and b"redacted" not in spilled.read_bytes()  # encrypted
    again = open_store(outage.settings)
    assert [f.flag_id for f in again.flags()] == [flag_id]
    assert not again.claim_event("slack", "EvSpill")  # the claim was kept too
    assert list(outage.settings.data_dir.glob("audit-spill-*")) == []
    assert len(store_messages(caplog, "wrote 2 records an earlier run kept")) == 1


def test_sqlite_outage_fixture_really_blocks_writes(tmp_path: Path) -> None:
    """Guard for the fixture above: an exclusive transaction makes other writers fail."""
    path = tmp_path / "x.sqlite3"
    first = sqlite3.connect(path, isolation_level=None)
    first.execute("PRAGMA journal_mode=WAL")
    first.execute("CREATE TABLE t (x)")
    first.execute("BEGIN EXCLUSIVE")
    second = sqlite3.connect(path, timeout=0.1)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("INSERT INTO t VALUES (1)")
    first.rollback()
    second.execute("INSERT INTO t VALUES (1)")
    second.commit()
