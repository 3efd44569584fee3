"""Back-scan: screen a channel's history when monitoring is switched on (issue 19).

The use case is platform-neutral. A history reader (``adapters/slack/history.py``,
``adapters/discord/history.py``) yields :class:`HistoryItem` values for a
:class:`ScanJob`, starting after a resume position; :func:`back_scan` screens them in
batches through the core and records each flag in the same store, and so the same review
queue, as the live path, marked with :data:`SCAN_RULE` so moderators can tell it was found
by a back-scan.

Contract:

- nothing is kept of an unflagged message: no text, no id in the store or the logs. The
  checkpoint (:class:`Checkpoints`) holds only the job's key, its time range, a resume
  position (a platform message id or timestamp) and counts;
- the checkpoint moves on only after a whole batch has been screened and its flags
  recorded; after an interruption the next run starts after that position, so a message is
  screened again only if its batch was cut short, and its flag is then not recorded twice
  (each flag claims the event ``scan:<channel>:<ref>`` first);
- the history reader owns paging and the platform's rate limits; this module never sleeps;
- ``dry_run`` screens and counts but records nothing and keeps no checkpoint.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.types import Flag, Message, Platform, Screening

log = logging.getLogger(__name__)

SCAN_RULE = "scan:history"
SCAN_REASON = "Found by a back-scan of the channel's history."
BATCH = 64


@dataclass(frozen=True)
class ScanJob:
    """One channel's history between ``since`` and ``until`` (Unix seconds, UTC)."""

    platform: Platform
    workspace: str
    channel: str
    since: float
    until: float
    until_given: bool = True  # False: "until now", fixed at the first run and kept for resuming

    @property
    def key(self) -> str:
        """Names the job's checkpoint: the same command resumes the same job."""
        until = f"{self.until:.6f}" if self.until_given else "now"
        raw = f"{self.platform.value}|{self.workspace}|{self.channel}|{self.since:.6f}|{until}"
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class HistoryItem:
    """One message read from history. ``message`` is None for one not to screen (bots,
    joins, system messages). ``position`` is where a later run may resume after this
    item ("" when it may not, e.g. a thread reply read before its parent). ``progress``
    is the fraction of the job's time range covered so far, 0 to 1."""

    message: Message | None
    position: str = ""
    progress: float = 0.0


@dataclass
class ScanState:
    """What a checkpoint holds: never message text, only ids, times and counts."""

    key: str
    platform: str
    channel: str
    since: float
    until: float
    position: str = ""
    read: int = 0
    screened: int = 0
    flagged: int = 0
    done: bool = False


class Checkpoints(Protocol):
    """Where a back-scan's progress is kept between runs."""

    def load(self, key: str) -> ScanState | None: ...

    def save(self, state: ScanState) -> None: ...

    def clear(self, key: str) -> None: ...


class ScanBot(Protocol):
    """The part of :class:`bot.service.GuidanceBot` a back-scan uses."""

    def screen_many(self, messages: Sequence[Message | str], sensitivity: str = "normal") -> list[Screening]: ...

    def claim_event(self, platform: str, event_id: str) -> bool: ...

    def record_flag(self, message: Message, flag: Flag) -> str: ...


@dataclass
class ScanResult:
    """Counts for one run (``read``, ``screened`` and ``flagged`` include earlier runs of a
    resumed job); ``flag_ids`` are the flags recorded in this run."""

    read: int = 0
    screened: int = 0
    flagged: int = 0
    resumed: bool = False
    already_done: bool = False
    dry_run: bool = False
    categories: Counter[str] = field(default_factory=Counter)
    flag_ids: list[str] = field(default_factory=list)


def scan_flag(flag: Flag) -> Flag:
    """``flag`` marked as found by a back-scan (rule id :data:`SCAN_RULE`, its reason last)."""
    return dataclasses.replace(
        flag,
        rule_ids=tuple(dict.fromkeys([*flag.rule_ids, SCAN_RULE])),
        reasons=tuple(dict.fromkeys([*flag.reasons, SCAN_REASON])),
    )


def back_scan(
    bot: ScanBot,
    job: ScanJob,
    history: Callable[[str], Iterable[HistoryItem]],
    checkpoints: Checkpoints,
    *,
    sensitivity: str = "normal",
    batch: int = BATCH,
    dry_run: bool = False,
    link: Callable[[Message], str] | None = None,
    progress: Callable[[float, ScanResult], None] | None = None,
) -> ScanResult:
    """Screen ``job``'s history and record what is flagged.

    ``history(position)`` yields the items after ``position`` ("" for the start).
    ``link`` turns a flagged message into the reference the flag keeps (a permalink); it is
    called for flagged messages only. ``progress(fraction, result)`` hears each batch.
    A restarted job (``checkpoints.clear`` first) scans from the start again."""
    state = None if dry_run else checkpoints.load(job.key)
    result = ScanResult(dry_run=dry_run)
    if state is not None and state.done:
        result.read, result.screened, result.flagged = state.read, state.screened, state.flagged
        result.already_done = True
        return result
    if state is None:
        state = ScanState(job.key, job.platform.value, job.channel, job.since, job.until)
    else:
        result.resumed = bool(state.position)
    result.read, result.screened, result.flagged = state.read, state.screened, state.flagged
    pending: list[HistoryItem] = []
    fraction = 0.0
    for item in history(state.position):
        pending.append(item)
        fraction = item.progress
        if len(pending) >= batch:
            _finish_batch(bot, job, pending, state, result, checkpoints, sensitivity, dry_run, link)
            pending = []
            if progress is not None:
                progress(fraction, result)
    _finish_batch(bot, job, pending, state, result, checkpoints, sensitivity, dry_run, link)
    state.done = True
    if not dry_run:
        checkpoints.save(state)
    if progress is not None:
        progress(1.0, result)
    return result


def _finish_batch(
    bot: ScanBot,
    job: ScanJob,
    items: list[HistoryItem],
    state: ScanState,
    result: ScanResult,
    checkpoints: Checkpoints,
    sensitivity: str,
    dry_run: bool,
    link: Callable[[Message], str] | None,
) -> None:
    """Screen one batch, record its flags, then move the checkpoint past it."""
    messages = [i.message for i in items if i.message is not None and i.message.text.strip()]
    screenings = bot.screen_many(messages, sensitivity) if messages else []
    for message, screening in zip(messages, screenings, strict=True):
        if screening.flag is None:
            continue
        result.categories[screening.flag.category.value] += 1
        state.flagged += 1
        if dry_run or not bot.claim_event(job.platform.value, f"scan:{job.channel}:{message.ref}"):
            continue
        ref = link(message) if link is not None else ""
        flag_id = bot.record_flag(dataclasses.replace(message, ref=ref or message.ref), scan_flag(screening.flag))
        result.flag_ids.append(flag_id)
        log.info("back-scan flag %s category=%s channel=%s", flag_id, screening.flag.category.value, job.channel)
    state.read += len(items)
    state.screened += len(messages)
    positions = [i.position for i in items if i.position]
    if positions:
        state.position = positions[-1]
    if not dry_run:
        checkpoints.save(state)
    result.read, result.screened, result.flagged = state.read, state.screened, state.flagged
