"""Group commit: many threads' small writes share one transaction.

SQLite has one writer at a time, and a transaction's fixed cost (taking a pooled
connection, BEGIN, COMMIT, the WAL frame) is most of a small write's. Under a burst every
acknowledged event makes a few such writes (its job stored, its steps, its deletion); one
transaction each, taken in turn behind one lock, capped the Slack adapter near a few
hundred events a second while answers queued behind them.

:class:`GroupCommit` runs units of work (``fn(conn) -> result``) for concurrent callers:
whoever finds no transaction under way takes every unit waiting (oldest first, at most
``max_units``) and runs them in one transaction; callers arriving meanwhile wait and go in
the next one. Contract:

- a caller returns only after the transaction holding its unit committed, with its own
  unit's result; so a unit that must be stored before something else happens (a job
  before its acknowledgement) still is;
- units are independent: when a shared transaction fails, it is rolled back and each of
  its units is run again in a transaction of its own, so a caller sees exactly the error
  its own unit raises (or its result), never another caller's;
- ``guard`` (the audit store's lock on SQLite) is held while a transaction runs, so other
  writers of the same process still take turns with it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")
MAX_UNITS = 200


class _Unit(Generic[T]):
    __slots__ = ("fn", "done", "result", "error")

    def __init__(self, fn: Callable[[Connection], T]) -> None:
        self.fn = fn
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None


class GroupCommit:
    """Runs units of work for many threads in shared transactions on ``engine``."""

    def __init__(
        self,
        engine: Engine,
        guard: contextlib.AbstractContextManager[Any] | None = None,
        max_units: int = MAX_UNITS,
    ) -> None:
        if max_units < 1:
            raise ValueError("max_units must be at least 1")
        self.engine = engine
        self.max_units = max_units
        self._guard = guard if guard is not None else contextlib.nullcontext()
        self._cond = threading.Condition()
        self._waiting: list[_Unit[Any]] = []
        self._busy = False
        self.transactions = 0  # how many shared transactions committed (for tests and benchmarks)

    def run(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in a transaction, possibly shared with other callers' units; return
        its result once that transaction committed, or raise what ``fn`` (or the commit of
        its own transaction) raised."""
        mine: _Unit[T] = _Unit(fn)
        with self._cond:
            self._waiting.append(mine)
        while True:
            with self._cond:
                while not mine.done and self._busy:
                    self._cond.wait()
                if mine.done:
                    break
                self._busy = True
                batch, self._waiting = self._waiting[: self.max_units], self._waiting[self.max_units :]
            try:
                self._run_batch(batch)
            finally:
                with self._cond:
                    for unit in batch:
                        unit.done = True
                    self._busy = False
                    self._cond.notify_all()
        if mine.error is not None:
            raise mine.error
        return mine.result  # type: ignore[return-value]  # set when no error was

    def _run_batch(self, batch: list[_Unit[Any]]) -> None:
        with self._guard:
            if len(batch) > 1:
                try:
                    with self.engine.begin() as conn:
                        results = [unit.fn(conn) for unit in batch]
                except Exception:  # noqa: BLE001 - rolled back; each unit is run again on its own below
                    pass
                else:
                    for unit, result in zip(batch, results, strict=True):
                        unit.result = result
                    self.transactions += 1
                    return
            for unit in batch:
                try:
                    with self.engine.begin() as conn:
                        unit.result = unit.fn(conn)
                    self.transactions += 1
                except BaseException as exc:  # noqa: BLE001 - handed to the unit's own caller
                    unit.error = exc
