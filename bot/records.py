"""The record-keeping contract behind :class:`bot.service.GuidanceBot`: event
de-duplication, flags and their outcomes, answer feedback, channel settings, people's
saved professions.

Contract (every implementation):
- ``claim_event`` returns True exactly once per (platform, event id) within at least
  ``DEDUP_SECONDS``, also across processes sharing the store;
- nothing stored holds raw message text or a raw user id: callers pass redacted text
  and the store pseudonymises user ids;
- every method is thread-safe.

``MemoryRecords`` is the in-process implementation (tests, console); the SQL store in
``bot.store`` is the durable one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.audience import AUDIENCES
from bot.decisions import DecisionRecords, DeclineRecord, FlagEvent, MemoryDecisions, new_declines
from bot.types import Actor, ChannelSettings, Flag, FlagStatus, Message, Platform

DEDUP_SECONDS = 60 * 60  # Slack retries over ~5 minutes; keep ids for an hour.


@dataclass(frozen=True)
class FlagRecord:
    flag_id: str
    created: float
    platform: str
    workspace: str
    channel: str
    message_ref: str
    user_hash: str
    category: str
    severity: str
    rule_ids: tuple[str, ...]
    citation_ids: tuple[str, ...]
    redacted: str
    status: FlagStatus = FlagStatus.OPEN
    reviewer_hash: str = ""
    reviewed: float | None = None
    decided: bool = False  # a moderator has decided it (see bot.review)


def flag_record(
    message: Message, flag: Flag, key: bytes, created: float | None = None, flag_id: str = ""
) -> FlagRecord:
    """The one place a flag becomes a record: a new id (or ``flag_id``, a durable job's
    effect id, so a replay names the same flag), the poster pseudonymised with ``key``,
    the flag's redacted excerpt (never the message text), status open. Every store
    (memory, SQL) keeps exactly this."""
    conv = message.conversation
    return FlagRecord(
        flag_id=flag_id or uuid.uuid4().hex,
        created=time.time() if created is None else created,
        platform=conv.platform.value,
        workspace=conv.workspace,
        channel=conv.channel,
        message_ref=message.ref,
        user_hash=pseudonymise(key, message.actor.user_id),
        category=flag.category.value,
        severity=flag.severity.value,
        rule_ids=flag.rule_ids,
        citation_ids=tuple(c.id for c in flag.citations),
        redacted=flag.redacted,
    )


@dataclass(frozen=True)
class FeedbackRecord:
    created: float
    platform: str
    user_hash: str
    question_redacted: str
    citation_ids: tuple[str, ...]
    helpful: bool


class Records(DecisionRecords, Protocol):
    def claim_event(self, platform: str, event_id: str) -> bool: ...

    def record_flag(self, message: Message, flag: Flag, flag_id: str = "") -> str:
        """Store a flag; with ``flag_id`` (a durable job's effect id) a second call with
        the same id stores nothing more and returns the same id."""
        ...

    def set_flag_status(self, flag_id: str, status: FlagStatus, reviewer: Actor | None = None) -> bool: ...

    def record_feedback(
        self, platform: str, actor: Actor, question_redacted: str, citation_ids: Sequence[str], helpful: bool
    ) -> None: ...

    def channel_settings(self, platform: Platform, workspace: str, channel: str) -> ChannelSettings: ...

    def update_channel_settings(self, settings: ChannelSettings) -> ChannelSettings: ...

    def profession(self, platform: Platform, workspace: str, actor: Actor) -> str | None:
        """The audience ``actor`` saved as their profession in ``workspace``, or ``None``."""
        ...

    def set_profession(self, platform: Platform, workspace: str, actor: Actor, audience: str | None) -> None:
        """Save ``actor``'s profession (an audience of :data:`bot.audience.AUDIENCES`;
        ``ValueError`` otherwise) under the pseudonym of their user id; ``None`` forgets it."""
        ...


def check_audience(audience: str | None, allow_empty: bool = False) -> None:
    """``ValueError`` unless ``audience`` is one the corpus knows (or ``None``/``""`` when
    ``allow_empty``)."""
    if (allow_empty and not audience) or audience in AUDIENCES:
        return
    raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")


def pseudonymise(key: bytes, user_id: str) -> str:
    """Keyed hash of a platform user id (HMAC-SHA256, hex, 32 chars)."""
    if not user_id:
        return ""
    return hmac.new(key, user_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@dataclass
class MemoryRecords(MemoryDecisions):
    """In-process records (tests and the console)."""

    key: bytes = field(default_factory=lambda: uuid.uuid4().bytes)
    flags: dict[str, FlagRecord] = field(default_factory=dict)
    feedback: list[FeedbackRecord] = field(default_factory=list)
    settings: dict[tuple[str, str, str], ChannelSettings] = field(default_factory=dict)
    professions: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (platform, workspace, pseudonym)
    events: dict[tuple[str, str], float] = field(default_factory=dict)
    events_log: list[FlagEvent] = field(default_factory=list)  # flag changes (bot.decisions)
    declines: deque[DeclineRecord] = field(default_factory=new_declines)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def claim_event(self, platform: str, event_id: str) -> bool:
        now = time.time()
        with self._lock:
            for k in [k for k, t in self.events.items() if now - t > DEDUP_SECONDS]:
                del self.events[k]
            if (platform, event_id) in self.events:
                return False
            self.events[(platform, event_id)] = now
            return True

    def record_flag(self, message: Message, flag: Flag, flag_id: str = "") -> str:
        record = flag_record(message, flag, self.key, flag_id=flag_id)
        with self._lock:
            self.flags.setdefault(record.flag_id, record)
        return record.flag_id

    def set_flag_status(self, flag_id: str, status: FlagStatus, reviewer: Actor | None = None) -> bool:
        with self._lock:
            record = self.flags.get(flag_id)
            if record is None:
                return False
            self.flags[flag_id] = dataclasses.replace(
                record,
                status=status,
                reviewed=time.time(),
                reviewer_hash=pseudonymise(self.key, reviewer.user_id) if reviewer else "",
            )
            return True

    def record_feedback(
        self, platform: str, actor: Actor, question_redacted: str, citation_ids: Sequence[str], helpful: bool
    ) -> None:
        with self._lock:
            self.feedback.append(
                FeedbackRecord(
                    time.time(),
                    platform,
                    pseudonymise(self.key, actor.user_id),
                    question_redacted,
                    tuple(citation_ids),
                    helpful,
                )
            )

    def channel_settings(self, platform: Platform, workspace: str, channel: str) -> ChannelSettings:
        with self._lock:
            return self.settings.get(
                (platform.value, workspace, channel), ChannelSettings(platform, workspace, channel)
            )

    def update_channel_settings(self, settings: ChannelSettings) -> ChannelSettings:
        check_audience(settings.audience, allow_empty=True)
        with self._lock:
            self.settings[(settings.platform.value, settings.workspace, settings.channel)] = settings
        return settings

    def profession(self, platform: Platform, workspace: str, actor: Actor) -> str | None:
        if not actor.user_id:
            return None
        with self._lock:
            return self.professions.get((platform.value, workspace, pseudonymise(self.key, actor.user_id)))

    def set_profession(self, platform: Platform, workspace: str, actor: Actor, audience: str | None) -> None:
        check_audience(audience, allow_empty=True)
        if not actor.user_id:
            raise ValueError("a profession is saved for a person: the user id is empty")
        key = (platform.value, workspace, pseudonymise(self.key, actor.user_id))
        with self._lock:
            if audience:
                self.professions[key] = audience
            else:
                self.professions.pop(key, None)
