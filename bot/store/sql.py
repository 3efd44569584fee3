"""``SqlRecords``: the durable :class:`bot.records.Records`, on SQLite or PostgreSQL.

Contract, beyond the protocol's:
- ``claim_event`` inserts into ``processed_events`` (primary key: platform, event id), so
  two processes racing on one event get one True between them;
- every write is idempotent (client-made ids, insert-or-ignore, upsert), so a write
  replayed after an outage never doubles a row;
- while the database is unreachable, writes wait in a bounded in-memory queue and are
  written in order when it returns (a background thread retries); ``claim_event``
  falls back to this process's memory and ``channel_settings`` to the last values seen;
  the outage is logged once, by exception class, never with SQL parameters;
- records older than ``retention_days`` (0: keep forever) and event ids older than
  :data:`bot.records.DEDUP_SECONDS` are purged at start and then every
  ``maintenance_seconds``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from cryptography.fernet import Fernet
from sqlalchemy import Connection, Engine, Table, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.sql.dml import Insert

from bot.errors import GmcbotError, StoreUnavailable
from bot.records import (
    DEDUP_SECONDS,
    FeedbackRecord,
    FlagRecord,
    MemoryRecords,
    check_audience,
    flag_record,
    pseudonymise,
)
from bot.store.decisions_sql import SqlDecisions, purge_review_rows
from bot.store.models import (
    SENSITIVITIES,
    ChannelSettingsRow,
    FeedbackRow,
    FlagRow,
    ProcessedEvent,
    ProfessionRow,
)
from bot.store.pending import PendingWrites, Write
from bot.store.spill import SPILL_GLOB, Op, spill, take_spilled
from bot.types import Actor, ChannelSettings, Flag, FlagStatus, Message, Platform

log = logging.getLogger("bot.store")

T = TypeVar("T")
FLAGS: Table = FlagRow.__table__  # type: ignore[assignment]
FEEDBACK: Table = FeedbackRow.__table__  # type: ignore[assignment]
SETTINGS: Table = ChannelSettingsRow.__table__  # type: ignore[assignment]
EVENTS: Table = ProcessedEvent.__table__  # type: ignore[assignment]
PROFESSIONS: Table = ProfessionRow.__table__  # type: ignore[assignment]

# The reads every event makes (the asker's profession, the channel's settings), built once:
# a statement object reused keeps its compiled form and cache key, which under a burst saves
# most of a read's Python time.
_PROFESSION_READ = select(PROFESSIONS.c.audience).where(
    PROFESSIONS.c.platform == bindparam("p_platform"),
    PROFESSIONS.c.workspace == bindparam("p_workspace"),
    PROFESSIONS.c.user_hash == bindparam("p_user"),
)
_SETTINGS_READ = select(SETTINGS).where(
    SETTINGS.c.platform == bindparam("p_platform"),
    SETTINGS.c.workspace == bindparam("p_workspace"),
    SETTINGS.c.channel == bindparam("p_channel"),
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class _Down(Exception):
    """The database could not be reached (already logged and noted)."""


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _insert(conn: Connection, table: Table) -> Any:
    """An INSERT that supports ON CONFLICT on this connection's dialect."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt: Insert = dialect_insert(table)
    return stmt


@dataclass(frozen=True)
class PurgeCounts:
    flags: int
    feedback: int
    events: int = 0


class SqlRecords(SqlDecisions):
    """Flags, feedback, channel settings and processed events in a SQL database.
    Use :func:`bot.store.open_records` to build one from settings."""

    def __init__(
        self,
        engine: Engine,
        key: bytes,
        *,
        where: str = "",
        retention_days: int = 0,
        queue_limit: int = 10_000,
        retry_seconds: float = 5.0,
        maintenance_seconds: float = 600.0,
        clock: Callable[[], datetime] = utcnow,
        spill_to: tuple[Path, Callable[[], Fernet]] | None = None,
    ) -> None:
        self.engine = engine
        self._spill_to = spill_to
        self.retention_days = retention_days
        self.retry_seconds = retry_seconds
        self.maintenance_seconds = maintenance_seconds
        self._key = key
        self._clock = clock
        self._where = where or "the database"
        self._pending = PendingWrites(queue_limit, self._where)
        self._memory = MemoryRecords(key=key)  # claims and settings while the database is away
        self._lock = threading.RLock()
        self._retry_at = 0.0
        self._next_maintenance = 0.0
        self._flusher_running = False
        self._closed = threading.Event()

    # -- Records protocol ---------------------------------------------------------------
    def claim_event(self, platform: str, event_id: str) -> bool:
        seen = self._clock()

        def insert(conn: Connection) -> bool:
            stmt = _insert(conn, EVENTS).values(platform=platform, event_id=event_id, seen=seen)
            # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT here.
            return conn.execute(stmt.on_conflict_do_nothing().returning(EVENTS.c.event_id)).first() is not None

        with self._lock:
            if self._ready():
                try:
                    claimed = self._run(insert)
                except _Down:
                    pass
                else:
                    self._maybe_maintain()
                    return claimed
            # The database is away: this process's memory decides, and the claim is written later.
            if not self._memory.claim_event(platform, event_id):
                return False
            self._enqueue(Op("insert", EVENTS.name, {"platform": platform, "event_id": event_id, "seen": seen}))
            return True

    def record_flag(self, message: Message, flag: Flag, flag_id: str = "") -> str:
        record = flag_record(message, flag, self._key, flag_id=flag_id)
        row = {
            "id": record.flag_id,
            "created": self._clock(),
            "platform": record.platform,
            "workspace": record.workspace,
            "channel": record.channel,
            "message_ref": record.message_ref,
            "user_hash": record.user_hash,
            "category": record.category,
            "severity": record.severity,
            "rule_ids": list(record.rule_ids),
            "citation_ids": list(record.citation_ids),
            "redacted": record.redacted,
            "status": record.status.value,
            "reviewer_hash": record.reviewer_hash,
            "reviewed": record.reviewed,
            "decided": record.decided,
        }
        self._write(Op("insert", FLAGS.name, row))
        return str(row["id"])

    def set_flag_status(self, flag_id: str, status: FlagStatus, reviewer: Actor | None = None) -> bool:
        """Record an outcome. While the database is away the change is queued and True
        is returned; a queued change for an unknown flag is dropped when written."""
        values = {
            "status": FlagStatus(status).value,
            "reviewed": self._clock(),
            "reviewer_hash": pseudonymise(self._key, reviewer.user_id) if reviewer else "",
        }

        change = Op("update", FLAGS.name, values, key={"id": flag_id})
        with self._lock:
            if self._ready():
                try:
                    return self._run(change)
                except _Down:
                    pass
            self._enqueue(change)
            return True

    def record_feedback(
        self, platform: str, actor: Actor, question_redacted: str, citation_ids: Sequence[str], helpful: bool
    ) -> None:
        row = {
            "id": uuid.uuid4().hex,
            "created": self._clock(),
            "platform": platform,
            "user_hash": pseudonymise(self._key, actor.user_id),
            "question_redacted": question_redacted,
            "citation_ids": list(citation_ids),
            "helpful": bool(helpful),
        }
        self._write(Op("insert", FEEDBACK.name, row))

    def channel_settings(self, platform: Platform, workspace: str, channel: str) -> ChannelSettings:
        def read(conn: Connection) -> ChannelSettings:
            params = {"p_platform": platform.value, "p_workspace": workspace, "p_channel": channel}
            row = conn.execute(_SETTINGS_READ, params).mappings().first()
            if row is None:
                return ChannelSettings(platform, workspace, channel)
            return ChannelSettings(
                platform,
                workspace,
                channel,
                monitored=bool(row["monitored"]),
                moderators_channel=row["moderators_channel"],
                sensitivity=row["sensitivity"],
                audience=row["audience"] or "",
            )

        return self._read_beside_writers(
            lambda conn: self._memory.update_channel_settings(read(conn)),
            lambda: self._memory.channel_settings(platform, workspace, channel),
        )

    def update_channel_settings(self, settings: ChannelSettings) -> ChannelSettings:
        if settings.sensitivity not in SENSITIVITIES:
            raise ValueError(f"sensitivity must be one of {', '.join(SENSITIVITIES)}, not {settings.sensitivity!r}")
        check_audience(settings.audience, allow_empty=True)
        values = {
            "monitored": bool(settings.monitored),
            "moderators_channel": settings.moderators_channel,
            "sensitivity": settings.sensitivity,
            "audience": settings.audience,
            "updated": self._clock(),
        }
        keys = {"platform": settings.platform.value, "workspace": settings.workspace, "channel": settings.channel}

        self._memory.update_channel_settings(settings)
        self._write(Op("upsert", SETTINGS.name, values, key=keys))
        return settings

    def profession(self, platform: Platform, workspace: str, actor: Actor) -> str | None:
        """The saved profession; while the database is away, the last one this process
        saw or saved (like channel settings)."""
        if not actor.user_id:
            return None
        user_hash = pseudonymise(self._key, actor.user_id)

        def read(conn: Connection) -> str | None:
            params = {"p_platform": platform.value, "p_workspace": workspace, "p_user": user_hash}
            value = conn.execute(_PROFESSION_READ, params).scalar_one_or_none()
            return str(value) if value else None

        def remembered(conn: Connection) -> str | None:
            found = read(conn)
            self._memory.set_profession(platform, workspace, actor, found)
            return found

        return self._read_beside_writers(remembered, lambda: self._memory.profession(platform, workspace, actor))

    def set_profession(self, platform: Platform, workspace: str, actor: Actor, audience: str | None) -> None:
        """Upsert (or, for ``None``, delete) the row keyed by the user id's pseudonym."""
        self._memory.set_profession(platform, workspace, actor, audience)  # checks both
        keys = {"platform": platform.value, "workspace": workspace, "user_hash": pseudonymise(self._key, actor.user_id)}
        if audience:
            self._write(Op("upsert", PROFESSIONS.name, {"audience": audience, "updated": self._clock()}, key=keys))
        else:
            self._write(Op("delete", PROFESSIONS.name, {}, key=keys))

    # -- governance (CLI); these need the database and raise StoreUnavailable -------------
    def flags(
        self,
        since: datetime | None = None,
        status: FlagStatus | None = None,
        channel: str | None = None,
        limit: int | None = None,
    ) -> list[FlagRecord]:
        """Flags newest first, filtered."""
        query = select(FLAGS).order_by(FLAGS.c.created.desc(), FLAGS.c.id)
        if since is not None:
            query = query.where(FLAGS.c.created >= since)
        if status is not None:
            query = query.where(FLAGS.c.status == FlagStatus(status).value)
        if channel is not None:
            query = query.where(FLAGS.c.channel == channel)
        if limit is not None:
            query = query.limit(limit)
        rows = self._read(lambda conn: list(conn.execute(query).mappings()))
        return [_flag_record(r) for r in rows]

    def feedback(self, since: datetime | None = None) -> list[FeedbackRecord]:
        """Answer feedback, newest first."""
        query = select(FEEDBACK).order_by(FEEDBACK.c.created.desc(), FEEDBACK.c.id)
        if since is not None:
            query = query.where(FEEDBACK.c.created >= since)
        rows = self._read(lambda conn: list(conn.execute(query).mappings()))
        return [
            FeedbackRecord(
                created=as_utc(r["created"]).timestamp(),
                platform=r["platform"],
                user_hash=r["user_hash"],
                question_redacted=r["question_redacted"],
                citation_ids=tuple(r["citation_ids"]),
                helpful=bool(r["helpful"]),
            )
            for r in rows
        ]

    def all_channel_settings(self) -> list[ChannelSettings]:
        """Every channel with stored settings."""
        query = select(SETTINGS).order_by(SETTINGS.c.platform, SETTINGS.c.workspace, SETTINGS.c.channel)
        rows = self._read(lambda conn: list(conn.execute(query).mappings()))
        return [
            ChannelSettings(
                Platform(r["platform"]),
                r["workspace"],
                r["channel"],
                bool(r["monitored"]),
                r["moderators_channel"],
                r["sensitivity"],
                r["audience"] or "",
            )
            for r in rows
        ]

    def purge(self, older_than: timedelta, dry_run: bool = False) -> PurgeCounts:
        """Delete flags and feedback created more than ``older_than`` ago (with
        ``dry_run``, only count them)."""
        if older_than < timedelta(0):
            raise ValueError("older_than must not be negative")
        cutoff = self._clock() - older_than

        def remove(conn: Connection) -> PurgeCounts:
            if dry_run:
                return PurgeCounts(
                    *(
                        conn.execute(select(func.count()).select_from(t).where(t.c.created < cutoff)).scalar_one()
                        for t in (FLAGS, FEEDBACK)
                    )
                )
            purge_review_rows(conn, cutoff, dry_run)  # their flag events first (bot.store.decisions_sql)
            flags = conn.execute(delete(FLAGS).where(FLAGS.c.created < cutoff)).rowcount
            feedback = conn.execute(delete(FEEDBACK).where(FEEDBACK.c.created < cutoff)).rowcount
            return PurgeCounts(flags, feedback)

        counts = self._read(remove)
        if (counts.flags or counts.feedback) and not dry_run:
            log.info(
                "audit store: purged %d flags and %d feedback records older than %s",
                counts.flags,
                counts.feedback,
                cutoff.date().isoformat(),
            )
        return counts

    def maintain(self) -> PurgeCounts:
        """Apply retention and forget event ids past the de-duplication window."""
        cutoff = self._clock() - timedelta(seconds=DEDUP_SECONDS)
        events = self._read(lambda conn: conn.execute(delete(EVENTS).where(EVENTS.c.seen < cutoff)).rowcount)
        if self.retention_days > 0:
            counts = self.purge(timedelta(days=self.retention_days))
            return PurgeCounts(counts.flags, counts.feedback, events)
        return PurgeCounts(0, 0, events)

    # -- outage handling -----------------------------------------------------------------
    @property
    def pending(self) -> int:
        """How many writes are waiting for the database."""
        return len(self._pending)

    def flush(self) -> bool:
        """Try now to write what waits; True when nothing is left waiting."""
        with self._lock:
            self._retry_at = 0.0
            return self._ready()

    def close(self) -> None:
        """Stop the retry thread, make a last attempt to write what waits, release
        connections. What still waits is spilled to an encrypted file (``spill_to``: a
        folder and the job key's Fernet, :mod:`bot.store.spill`) and written by
        :meth:`replay_spilled` at the next start; without ``spill_to`` it is lost, and
        said so in the log. Safe to repeat."""
        if self._closed.is_set():
            return
        self._closed.set()
        with self._lock:
            if len(self._pending):
                self._retry_at = 0.0
                self._ready()
            if len(self._pending):
                self._spill()
        self.engine.dispose()

    def _spill(self) -> None:
        """Keep what still waits in a spill file (under the lock, at close)."""
        ops = [w for w in self._pending.waiting() if isinstance(w, Op)]
        lost = len(self._pending) - len(ops)
        if self._spill_to is not None and ops:
            directory, key = self._spill_to
            try:
                path = spill(ops, directory, key())
            except (OSError, GmcbotError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else str(exc)
                log.error("audit store: could not spill %d waiting records to %s: %s", len(ops), directory, reason)
            else:
                log.warning(
                    "audit store: %d records waiting for %s kept encrypted in %s; written at the next start",
                    len(ops),
                    self._where,
                    path.name,
                )
                ops = []
        self._pending.clear()
        if ops or lost:
            log.error("audit store: %d records could not be written to %s before exit", len(ops) + lost, self._where)

    def replay_spilled(self) -> int:
        """Write the records earlier runs spilled at exit (oldest first), deleting each
        file once its records are written or queued; returns how many. Call at start."""
        if self._spill_to is None:
            return 0
        directory, key = self._spill_to
        if not any(directory.glob(SPILL_GLOB)):
            return 0  # (the key file is not made just to look)
        count = 0
        for path, ops in take_spilled(directory, key()):
            for op in ops:
                self._write(op)
            path.unlink(missing_ok=True)
            count += len(ops)
        if count:
            log.warning("audit store: wrote %d records an earlier run kept while %s was away", count, self._where)
        return count

    def _run(self, fn: Callable[[Connection], T]) -> T:
        """``fn`` in one transaction; _Down if the database is unreachable."""
        try:
            with self.engine.begin() as conn:
                result = fn(conn)
        except DBAPIError as exc:
            if not _is_connection_error(exc):
                raise
            self._went_down(exc)
            raise _Down from None
        except PoolTimeout as exc:
            self._went_down(exc)
            raise _Down from None
        self._pending.mark_up()
        return result

    def _went_down(self, exc: BaseException) -> None:
        self._pending.mark_down(exc)
        self._retry_at = time.monotonic() + self.retry_seconds

    def _read_beside_writers(self, read: Callable[[Connection], T], fallback: Callable[[], T]) -> T:
        """``read`` in a transaction: straight away when nothing waits to be written (a read
        runs beside the writers: SQLite's WAL and PostgreSQL allow it, and under a burst the
        writer lock is busy with every event's job writes), else under the lock after writing
        what waits; ``fallback()`` (what this process last saw) while the database is away."""
        if not self._pending.down and not len(self._pending):
            try:
                return self._run(read)
            except _Down:
                pass
        with self._lock:
            if self._ready():
                try:
                    return self._run(read)
                except _Down:
                    pass
            return fallback()

    def _read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` now, after writing what waits; StoreUnavailable if the database is away."""
        with self._lock:
            self._retry_at = 0.0
            if self._ready():
                try:
                    return self._run(fn)
                except _Down:
                    pass
        raise StoreUnavailable(f"cannot reach the database at {self._where}; try again when it is back")

    def _ready(self) -> bool:
        """Write what waits, in order. True when nothing waits and the database
        answered (or was not due for a retry and has not failed). Call under the lock."""
        if self._pending.down and time.monotonic() < self._retry_at:
            return False
        while (write := self._pending.peek()) is not None:
            try:
                self._run(write)
            except _Down:
                return False
            except Exception as exc:  # noqa: BLE001 - a bad queued write must not block the rest
                log.error("audit store: dropped a waiting record that failed (%s)", type(exc).__name__)
            self._pending.pop()
        return True

    def _write(self, write: Write) -> None:
        with self._lock:
            if self._ready():
                try:
                    self._run(write)
                except _Down:
                    pass
                else:
                    self._maybe_maintain()
                    return
            self._enqueue(write)

    def _enqueue(self, write: Write) -> None:
        self._pending.add(write)
        if not self._flusher_running and not self._closed.is_set():
            self._flusher_running = True
            threading.Thread(target=self._flush_loop, name="gmcbot-store-retry", daemon=True).start()

    def _flush_loop(self) -> None:
        while not self._closed.wait(self.retry_seconds):
            with self._lock:
                if self._ready():
                    self._flusher_running = False
                    return
        with self._lock:
            self._flusher_running = False

    def _maybe_maintain(self) -> None:
        now = time.monotonic()
        if now < self._next_maintenance:
            return
        self._next_maintenance = now + self.maintenance_seconds
        try:
            self.maintain()
        except StoreUnavailable:
            pass


def _flag_record(r: Any) -> FlagRecord:
    reviewed = r["reviewed"]
    return FlagRecord(
        flag_id=r["id"],
        created=as_utc(r["created"]).timestamp(),
        platform=r["platform"],
        workspace=r["workspace"],
        channel=r["channel"],
        message_ref=r["message_ref"],
        user_hash=r["user_hash"],
        category=r["category"],
        severity=r["severity"],
        rule_ids=tuple(r["rule_ids"]),
        citation_ids=tuple(r["citation_ids"]),
        redacted=r["redacted"],
        status=FlagStatus(r["status"]),
        reviewer_hash=r["reviewer_hash"],
        reviewed=as_utc(reviewed).timestamp() if reviewed else None,
        decided=bool(r["decided"]),
    )
