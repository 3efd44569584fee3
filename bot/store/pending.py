"""Writes that wait in memory while the database is unreachable.

A :class:`PendingWrites` is a bounded FIFO of callables, each one transaction's worth
of work. When it is full, new writes are dropped and counted (older ones are kept, so
a flag is never lost while its later status change is kept). It also keeps the
outage state so the loss is logged once per outage, naming no data, only counts.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from sqlalchemy import Connection

Write = Callable[[Connection], object]

log = logging.getLogger("bot.store")


class PendingWrites:
    """Bounded in-memory queue of writes plus the "database is down" state. The queue
    is not thread-safe by itself (:class:`bot.store.sql.SqlRecords` holds its lock
    around it); the up/down state is, since reads change it without that lock."""

    def __init__(self, limit: int, where: str) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.where = where
        self.down = False
        self.dropped = 0
        self._queue: deque[Write] = deque()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, write: Write) -> bool:
        """Keep ``write`` for later; False (and counted) when the queue is full."""
        if len(self._queue) >= self.limit:
            if self.dropped == 0:
                log.error(
                    "audit store: %d records are waiting for %s; dropping further records until it returns",
                    self.limit,
                    self.where,
                )
            self.dropped += 1
            return False
        self._queue.append(write)
        return True

    def waiting(self) -> list[Write]:
        """Every waiting write, in order (the queue is left as it was)."""
        return list(self._queue)

    def clear(self) -> None:
        self._queue.clear()

    def peek(self) -> Write | None:
        return self._queue[0] if self._queue else None

    def pop(self) -> None:
        self._queue.popleft()

    def mark_down(self, error: BaseException) -> None:
        """Note that the database failed; logs only on the first failure of an outage."""
        with self._lock:
            if self.down:
                return
            self.down = True
            log.warning(
                "audit store: lost the database at %s (%s); answering and screening go on, "
                "records wait in memory (up to %d) until it returns",
                self.where,
                type(error).__name__,
                self.limit,
            )

    def mark_up(self) -> None:
        """Note that the database answered again (logged once per outage)."""
        with self._lock:
            if not self.down:
                return
            self.down = False
            dropped, self.dropped = self.dropped, 0
        if dropped:
            log.error(
                "audit store: database at %s is back; writing %d waiting records; %d records were "
                "dropped because the queue was full",
                self.where,
                len(self._queue),
                dropped,
            )
        else:
            log.warning("audit store: database at %s is back; writing %d waiting records", self.where, len(self._queue))
