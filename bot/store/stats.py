"""Figures for the information-governance review: flags per category and ISO week,
outcomes and the false-alarm rate, answer helpfulness. Pure functions over records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.records import FeedbackRecord, FlagRecord
from bot.types import FlagStatus


def iso_week(timestamp: float) -> str:
    """``2026-W02`` for a Unix time (UTC)."""
    year, week, _ = datetime.fromtimestamp(timestamp, UTC).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class AuditStats:
    flags: int
    per_week: dict[str, dict[str, int]]  # week -> category -> count
    per_category: dict[str, int]
    per_status: dict[str, int]
    false_alarm_rate: float | None  # false alarms / reviewed flags; None with no reviews
    feedback: int
    helpful: int

    @property
    def reviewed(self) -> int:
        return self.flags - self.per_status.get(FlagStatus.OPEN.value, 0)

    @property
    def helpful_rate(self) -> float | None:
        return self.helpful / self.feedback if self.feedback else None

    def to_json(self) -> dict[str, object]:
        return {
            "flags": self.flags,
            "per_week": self.per_week,
            "per_category": self.per_category,
            "per_status": self.per_status,
            "reviewed": self.reviewed,
            "false_alarm_rate": self.false_alarm_rate,
            "feedback": self.feedback,
            "helpful": self.helpful,
            "helpful_rate": self.helpful_rate,
        }


def audit_stats(flags: Sequence[FlagRecord], feedback: Sequence[FeedbackRecord]) -> AuditStats:
    per_week: dict[str, Counter[str]] = {}
    for f in flags:
        per_week.setdefault(iso_week(f.created), Counter())[f.category] += 1
    per_status = Counter(f.status.value for f in flags)
    reviewed = len(flags) - per_status.get(FlagStatus.OPEN.value, 0)
    false_alarms = per_status.get(FlagStatus.FALSE_ALARM.value, 0)
    return AuditStats(
        flags=len(flags),
        per_week={week: dict(sorted(c.items())) for week, c in sorted(per_week.items())},
        per_category=dict(sorted(Counter(f.category for f in flags).items())),
        per_status={s.value: per_status.get(s.value, 0) for s in FlagStatus},
        false_alarm_rate=false_alarms / reviewed if reviewed else None,
        feedback=len(feedback),
        helpful=sum(1 for f in feedback if f.helpful),
    )
