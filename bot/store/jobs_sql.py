"""``SqlJobs``: the durable :class:`bot.jobs.JobStore` in the audit store's database.

- :meth:`SqlJobs.accept` inserts the event's claim into ``processed_events`` and the job
  into ``event_jobs`` in one transaction: either both exist or neither does;
- :meth:`SqlJobs.take_expired` takes over expired leases with a compare-and-set on the
  lease; on PostgreSQL the candidates are read ``FOR UPDATE SKIP LOCKED``, so workers
  sharing the database never wait on, nor take, the same job;
- payloads are encrypted with Fernet (authenticated); a payload that does not decrypt
  (another key) is left to the age limit and logged by job id only;
- a database that cannot be reached raises :class:`bot.errors.StoreUnavailable`.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Connection, Engine, Table, bindparam, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.errors import StoreUnavailable
from bot.jobs import Job
from bot.store.group_commit import GroupCommit
from bot.store.jobs_models import EventJobRow
from bot.store.models import ProcessedEvent

log = logging.getLogger("bot.store")

T = TypeVar("T")
JOBS: Table = EventJobRow.__table__  # type: ignore[assignment]  # SQLAlchemy types __table__ as FromClause
EVENTS: Table = ProcessedEvent.__table__  # type: ignore[assignment]  # as above

# The writes every event makes, built once (a reused statement keeps its compiled form).
_CLAIM = {
    "sqlite": sqlite.insert(EVENTS).on_conflict_do_nothing().returning(EVENTS.c.event_id),
    "postgresql": postgresql.insert(EVENTS).on_conflict_do_nothing().returning(EVENTS.c.event_id),
}
_STORE = JOBS.insert()
_SET_STEPS = update(JOBS).where(JOBS.c.id == bindparam("b_id")).values(steps=bindparam("b_steps"))
_DELETE = delete(JOBS).where(JOBS.c.id == bindparam("b_id"))


class SqlJobs:
    """Jobs in the ``event_jobs`` table of ``engine``'s database."""

    durable = True

    def __init__(
        self,
        engine: Engine,
        fernet: Fernet,
        where: str = "the database",
        lock: contextlib.AbstractContextManager[Any] | None = None,
    ) -> None:
        self.engine = engine
        self._fernet = fernet
        self._where = where
        # SQLite has one writer at a time and its busy handler backs off in sleeps of up
        # to 100 ms; writers of this process queue on ``lock`` instead (the audit
        # store's), and the job writes waiting at once share one transaction
        # (bot/store/group_commit.py). On PostgreSQL (no ``lock``) each write is its own
        # transaction from the pool: workers write in parallel, and a step's write skips
        # the wait for the WAL flush that an accepted job's must not skip.
        self._group = GroupCommit(engine, lock) if lock is not None else None

    def accept(self, job: Job, owner: str, lease_until: float) -> bool:
        from datetime import UTC, datetime

        payload = self._fernet.encrypt(json.dumps(job.payload, separators=(",", ":")).encode("utf-8"))

        seen = datetime.fromtimestamp(job.created, UTC)

        def run(conn: Connection) -> bool:
            claim = _CLAIM["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]
            if conn.execute(claim, {"platform": job.platform, "event_id": job.key, "seen": seen}).first() is None:
                return False
            conn.execute(
                _STORE,
                {
                    "id": job.id,
                    "platform": job.platform,
                    "event_key": job.key,
                    "created": job.created,
                    "lease_owner": owner,
                    "lease_until": lease_until,
                    "attempts": 1,
                    "steps": "{}",
                    "payload": payload,
                },
            )
            return True

        return self._run(run)

    def record_steps(self, job_id: str, steps: dict[str, str]) -> None:
        """Store a job's steps. On PostgreSQL the commit does not wait for the WAL to
        reach the disk (``synchronous_commit`` off for this transaction only): a step is
        stored just before its platform call, and a worker killed while waiting for
        that flush would leave the step committed by the server and the call never made.
        The step is still committed (and seen by other workers) before the call; only a
        crash of the database server itself within its WAL writer delay can forget it,
        and a replay then sends the effect again."""
        text_ = json.dumps(steps)

        def run(conn: Connection) -> None:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
            conn.execute(_SET_STEPS, {"b_id": job_id, "b_steps": text_})

        self._run(run)

    def finish(self, job_id: str) -> None:
        self._run(lambda conn: conn.execute(_DELETE, {"b_id": job_id}))

    def renew(self, owner: str, ids: Iterable[str], lease_until: float) -> None:
        wanted = list(ids)

        def run(conn: Connection) -> None:
            for start in range(0, len(wanted), 500):
                conn.execute(
                    update(JOBS)
                    .where(JOBS.c.lease_owner == owner, JOBS.c.id.in_(wanted[start : start + 500]))
                    .values(lease_until=lease_until)
                )

        self._run(run)

    def take_expired(self, owner: str, now: float, lease_until: float, limit: int) -> list[Job]:
        def run(conn: Connection) -> list[Any]:
            query = select(JOBS).where(JOBS.c.lease_until < now).order_by(JOBS.c.created).limit(limit)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            taken = []
            for row in conn.execute(query).mappings().all():
                changed = conn.execute(
                    update(JOBS)
                    .where(JOBS.c.id == row["id"], JOBS.c.lease_until == row["lease_until"])
                    .values(lease_owner=owner, lease_until=lease_until, attempts=JOBS.c.attempts + 1)
                ).rowcount
                if changed == 1:
                    taken.append(row)
            return taken

        jobs = []
        for row in self._run(run):
            try:
                payload = json.loads(self._fernet.decrypt(bytes(row["payload"])))
            except (InvalidToken, ValueError):
                log.error("jobs: job %s does not decrypt with this worker's job key; left to expire", row["id"][:80])
                continue
            jobs.append(
                Job(
                    id=row["id"],
                    platform=row["platform"],
                    key=row["event_key"],
                    payload=payload,
                    created=float(row["created"]),
                    steps=dict(json.loads(row["steps"] or "{}")),
                )
            )
        return jobs

    def purge(self, created_before: float) -> int:
        return int(self._run(lambda conn: conn.execute(delete(JOBS).where(JOBS.c.created < created_before)).rowcount))

    def count(self) -> int:
        return int(self._run(lambda conn: conn.execute(select(func.count()).select_from(JOBS)).scalar_one()))

    def _run(self, fn: Callable[[Connection], T]) -> T:
        try:
            if self._group is not None:
                return self._group.run(fn)
            with self.engine.begin() as conn:
                return fn(conn)
        except (DBAPIError, PoolTimeout) as exc:
            if isinstance(exc, DBAPIError) and not _connection_error(exc):
                raise
            raise StoreUnavailable(
                f"cannot reach the database at {self._where} for jobs ({type(exc).__name__})"
            ) from None


def _connection_error(exc: DBAPIError) -> bool:
    from sqlalchemy.exc import InterfaceError, OperationalError

    return isinstance(exc, (OperationalError, InterfaceError)) or exc.connection_invalidated
