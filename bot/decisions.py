"""Records of who changed a flag, and of questions the bot declined: the value types,
the protocol every record store implements for them, and the in-memory implementation.

Contract (every implementation):
- ``change_flag`` is a compare-and-set: it changes the flag only while its status and
  ``decided`` are still those the caller read, and writes the change's event in the same
  step, so two people clicking at once cannot both win, and no change goes unrecorded;
- events and declines hold pseudonyms, roles, statuses and topic labels: never text.

The rules deciding *who may* make a change live in :mod:`bot.review`.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.types import FlagStatus

if TYPE_CHECKING:
    from bot.records import FlagRecord

DECLINES_IN_MEMORY = 10_000


@dataclass(frozen=True)
class FlagEvent:
    """One change of a flag: who (pseudonym and role), where from, what to what, when."""

    event_id: str
    flag_id: str
    created: float
    actor_hash: str
    role: str
    source: str  # slack, discord, console, cli
    from_status: FlagStatus
    to_status: FlagStatus
    decided: bool  # the flag counts as decided by a moderator after this change


@dataclass(frozen=True)
class DeclineRecord:
    """A question the bot did not answer with confidence: its topic labels only."""

    created: float
    platform: str
    status: str  # no_match or low_confidence
    topics: tuple[str, ...]


@dataclass(frozen=True)
class FlagChange:
    """What :meth:`DecisionRecords.change_flag` writes."""

    flag_id: str
    expect_status: FlagStatus
    expect_decided: bool
    status: FlagStatus
    decided: bool
    actor_hash: str
    role: str
    source: str


class DecisionRecords(Protocol):
    def flag(self, flag_id: str) -> FlagRecord | None: ...

    def pseudonym(self, user_id: str) -> str: ...

    def change_flag(self, change: FlagChange) -> bool: ...

    def flag_events(self, flag_id: str | None = None) -> list[FlagEvent]: ...

    def record_decline(self, platform: str, status: str, topics: Sequence[str]) -> None: ...


def new_declines() -> deque[DeclineRecord]:
    return deque(maxlen=DECLINES_IN_MEMORY)


class MemoryDecisions:
    """The in-memory half of :class:`bot.records.MemoryRecords` for flag changes and
    declines (a mixin: the dataclass provides these attributes)."""

    flags: dict[str, FlagRecord]
    key: bytes
    events_log: list[FlagEvent]
    declines: deque[DeclineRecord]
    _lock: threading.Lock

    def flag(self, flag_id: str) -> FlagRecord | None:
        return self.flags.get(flag_id)

    def pseudonym(self, user_id: str) -> str:
        from bot.records import pseudonymise

        return pseudonymise(self.key, user_id)

    def change_flag(self, change: FlagChange) -> bool:
        now = time.time()
        with self._lock:
            record = self.flags.get(change.flag_id)
            if record is None or record.status is not change.expect_status or record.decided != change.expect_decided:
                return False
            self.flags[change.flag_id] = dataclasses.replace(
                record, status=change.status, decided=change.decided, reviewed=now, reviewer_hash=change.actor_hash
            )
            self.events_log.append(
                FlagEvent(
                    uuid.uuid4().hex,
                    change.flag_id,
                    now,
                    change.actor_hash,
                    change.role,
                    change.source,
                    change.expect_status,
                    change.status,
                    change.decided,
                )
            )
            return True

    def flag_events(self, flag_id: str | None = None) -> list[FlagEvent]:
        with self._lock:
            return [e for e in self.events_log if flag_id is None or e.flag_id == flag_id]

    def record_decline(self, platform: str, status: str, topics: Sequence[str]) -> None:
        self.declines.append(DeclineRecord(time.time(), platform, status, tuple(topics)))
