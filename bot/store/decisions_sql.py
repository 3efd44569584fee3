"""Flag changes and declined questions on SQL (the :class:`bot.decisions.DecisionRecords`
half of :class:`bot.store.SqlRecords`, as a mixin so the change-of-flag code lives apart).

A change is one transaction: an ``UPDATE flags ... WHERE id = ? AND status = ? AND
decided = ?`` and, only when it matched a row, the ``flag_events`` insert. Reads and
changes need the database (StoreUnavailable while it is away: the caller says so to the
clicker, since a decision cannot be judged without the flag's current state). Declines
are ordinary writes, queued during an outage like feedback.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, Table, delete, select, update

from bot.decisions import DeclineRecord, FlagChange, FlagEvent
from bot.records import FlagRecord, pseudonymise
from bot.store.models import FlagRow
from bot.store.pending import Write
from bot.store.review_models import DeclineRow, FlagEventRow
from bot.store.spill import Op
from bot.types import FlagStatus

T = TypeVar("T")
FLAGS: Table = FlagRow.__table__  # type: ignore[assignment]
EVENTS: Table = FlagEventRow.__table__  # type: ignore[assignment]
DECLINES: Table = DeclineRow.__table__  # type: ignore[assignment]


def _ts(value: datetime) -> float:
    from bot.store.sql import as_utc

    return as_utc(value).timestamp()


class SqlDecisions:
    """Mixin for SqlRecords, which provides these."""

    _key: bytes
    _clock: Callable[[], datetime]

    def _read(self, fn: Callable[[Connection], T]) -> T:
        raise NotImplementedError

    def _write(self, write: Write) -> None:
        raise NotImplementedError

    def pseudonym(self, user_id: str) -> str:
        return pseudonymise(self._key, user_id)

    def flag(self, flag_id: str) -> FlagRecord | None:
        from bot.store.sql import _flag_record

        row = self._read(lambda conn: conn.execute(select(FLAGS).where(FLAGS.c.id == flag_id)).mappings().first())
        return _flag_record(row) if row is not None else None

    def change_flag(self, change: FlagChange) -> bool:
        now = self._clock()

        def apply(conn: Connection) -> bool:
            matched = conn.execute(
                update(FLAGS)
                .where(
                    FLAGS.c.id == change.flag_id,
                    FLAGS.c.status == change.expect_status.value,
                    FLAGS.c.decided == change.expect_decided,
                )
                .values(
                    status=change.status.value, decided=change.decided, reviewed=now, reviewer_hash=change.actor_hash
                )
            ).rowcount
            if matched != 1:
                return False
            conn.execute(
                EVENTS.insert().values(
                    id=uuid.uuid4().hex,
                    flag_id=change.flag_id,
                    created=now,
                    actor_hash=change.actor_hash,
                    role=change.role,
                    source=change.source,
                    from_status=change.expect_status.value,
                    to_status=change.status.value,
                    decided=change.decided,
                )
            )
            return True

        return self._read(apply)

    def flag_events(self, flag_id: str | None = None) -> list[FlagEvent]:
        query = select(EVENTS).order_by(EVENTS.c.created, EVENTS.c.id)
        if flag_id is not None:
            query = query.where(EVENTS.c.flag_id == flag_id)
        rows = self._read(lambda conn: list(conn.execute(query).mappings()))
        return [
            FlagEvent(
                r["id"],
                r["flag_id"],
                _ts(r["created"]),
                r["actor_hash"],
                r["role"],
                r["source"],
                FlagStatus(r["from_status"]),
                FlagStatus(r["to_status"]),
                bool(r["decided"]),
            )
            for r in rows
        ]

    def record_decline(self, platform: str, status: str, topics: Sequence[str]) -> None:
        row = {
            "id": uuid.uuid4().hex,
            "created": self._clock(),
            "platform": platform,
            "status": status,
            "topics": list(topics),
        }
        self._write(Op("insert", DECLINES.name, row))

    def declines(self, since: datetime | None = None) -> list[DeclineRecord]:
        query = select(DECLINES).order_by(DECLINES.c.created)
        if since is not None:
            query = query.where(DECLINES.c.created >= since)
        rows = self._read(lambda conn: list(conn.execute(query).mappings()))
        return [DeclineRecord(_ts(r["created"]), r["platform"], r["status"], tuple(r["topics"])) for r in rows]


def purge_review_rows(conn: Connection, cutoff: datetime, dry_run: bool) -> None:
    """With flags purged, their events go too (and declines past the cutoff)."""
    if dry_run:
        return
    old_flags = select(FLAGS.c.id).where(FLAGS.c.created < cutoff)
    conn.execute(delete(EVENTS).where(EVENTS.c.flag_id.in_(old_flags)))
    conn.execute(delete(DECLINES).where(DECLINES.c.created < cutoff))
