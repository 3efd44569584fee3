"""Group commit on a real SQLite file (bot/store/group_commit.py): concurrent callers'
units share transactions, each caller gets its own unit's result only after its commit,
and a failing unit costs nobody else their write."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text

from bot.store.engine import make_engine
from bot.store.group_commit import GroupCommit, _Unit
from bot.store.urls import normalise_url


@pytest.fixture()
def engine(tmp_path: Path) -> Engine:
    eng = make_engine(normalise_url(f"sqlite:///{tmp_path / 'group.db'}"))
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)"))
    return eng


def _rows(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return {int(k): str(v) for k, v in conn.execute(text("SELECT k, v FROM t"))}


def _insert(k: int) -> Callable[[Connection], int]:
    def unit(conn: Connection) -> int:
        conn.execute(text("INSERT INTO t (k, v) VALUES (:k, :v)"), {"k": k, "v": f"v{k}"})
        return k * 10

    return unit


def test_concurrent_callers_share_transactions_and_each_gets_its_own_result(engine: Engine) -> None:
    group = GroupCommit(engine, threading.RLock())
    first_started, release = threading.Event(), threading.Event()

    def slow_first(conn: Connection) -> int:
        first_started.set()
        release.wait(5)  # everyone else arrives while this transaction runs
        conn.execute(text("INSERT INTO t (k, v) VALUES (0, 'v0')"))
        return 0

    results: dict[int, object] = {}
    leader = threading.Thread(target=lambda: results.__setitem__(0, group.run(slow_first)))
    leader.start()
    assert first_started.wait(5)

    def call(k: int) -> None:
        results[k] = group.run(_insert(k))

    callers = [threading.Thread(target=call, args=(k,)) for k in range(1, 41)]
    for t in callers:
        t.start()
    while len(group._waiting) < 40:  # all 40 queue behind the leader
        threading.Event().wait(0.01)
    release.set()
    for t in [leader, *callers]:
        t.join(10)
    assert results == {0: 0, **{k: k * 10 for k in range(1, 41)}}
    assert _rows(engine) == {k: f"v{k}" for k in range(41)}
    assert group.transactions == 2  # the leader's own, then the other 40 together


def test_a_failing_unit_fails_only_its_own_caller(engine: Engine) -> None:
    group = GroupCommit(engine)

    def bad(conn: Connection) -> None:
        conn.execute(text("INSERT INTO t (k, v) VALUES (99, 'half done')"))
        raise ValueError("this unit fails after writing")

    units: list[_Unit[object]] = [_Unit(_insert(1)), _Unit(bad), _Unit(_insert(2))]
    group._run_batch(units)  # one shared batch, as concurrent callers make
    assert [u.result for u in units] == [10, None, 20]
    assert units[0].error is None and units[2].error is None
    assert isinstance(units[1].error, ValueError)
    assert _rows(engine) == {1: "v1", 2: "v2"}  # the failing unit's own write was rolled back
    with pytest.raises(ValueError, match="fails after writing"):
        group.run(bad)
    assert group.run(_insert(3)) == 30
