"""What the console's pages show, worked out from the audit store: queue rows (already
redacted text, reasons from the screening rules, the cited paragraph) and the trends.
Nothing here reads anything but the audit store, the corpus and the screening rules."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from adapters.review_web.charts import Chart, bars, line, stacked_bars
from bot import SCAN_REASON, SCAN_RULE, DeclineRecord, FeedbackRecord, FlagEvent, FlagRecord, FlagStatus, iso_week

EXCERPT = 280
STATUS_LABELS = {"open": "Open", "removed": "Poster removing", "false_alarm": "False alarm", "confirmed": "Confirmed"}
AGES = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30), "90d": timedelta(days=90)}


@dataclass(frozen=True)
class Cited:
    pid: str
    label: str
    heading: str
    url: str


@dataclass(frozen=True)
class Row:
    flag: FlagRecord
    excerpt: str
    reasons: tuple[str, ...]
    cited: Cited | None
    age: str
    status_label: str


def age_text(seconds: float) -> str:
    if seconds < 3600:
        return f"{max(int(seconds // 60), 0)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


class Explainer:
    """Reasons for rule ids and labels for cited paragraphs (loaded once, lazily)."""

    @cached_property
    def _reasons(self) -> dict[str, str]:
        from bot import load_screening_data

        data = load_screening_data()
        reasons = {r.id: r.reason for r in data.rules}
        reasons["jigsaw"] = data.jigsaw.reason.rstrip(": ") + "."
        reasons[SCAN_RULE] = SCAN_REASON  # found by `gmcbot scan` (bot/backscan.py)
        return reasons

    @cached_property
    def _corpus(self) -> Any:
        from bot import load_corpus

        return load_corpus()

    def reasons(self, rule_ids: Sequence[str]) -> tuple[str, ...]:
        out = [self._reasons.get(rid) or rid.replace("-", " ") for rid in rule_ids]
        return tuple(dict.fromkeys(out))

    def cited(self, citation_ids: Sequence[str]) -> Cited | None:
        if not citation_ids:
            return None
        pid = citation_ids[0]
        paragraph = self._corpus.paragraph(pid)
        if paragraph is None:
            return Cited(pid, pid, "", "")
        document = self._corpus.document(paragraph.doc_id)
        return Cited(pid, f"{document.title}, paragraph {paragraph.number}", paragraph.heading, document.url)

    def row(self, f: FlagRecord, now: float) -> Row:
        excerpt = f.redacted if len(f.redacted) <= EXCERPT else f.redacted[: EXCERPT - 1] + "…"
        return Row(
            f,
            excerpt,
            self.reasons(f.rule_ids),
            self.cited(f.citation_ids),
            age_text(now - f.created),
            STATUS_LABELS.get(f.status.value, f.status.value),
        )


@dataclass(frozen=True)
class Filters:
    status: str = "open"
    category: str = ""
    platform: str = ""
    channel: str = ""
    age: str = ""

    @classmethod
    def parse(cls, query: Any) -> Filters:
        status = str(query.get("status", "open"))
        age = str(query.get("age", ""))
        return cls(
            status=status if status in (*STATUS_LABELS, "all") else "open",
            category=str(query.get("category", ""))[:64],
            platform=str(query.get("platform", ""))[:32],
            channel=str(query.get("channel", ""))[:64].strip(),
            age=age if age in AGES else "",
        )

    def since(self, now: datetime) -> datetime | None:
        return now - AGES[self.age] if self.age else None

    def apply(self, flags: Sequence[FlagRecord]) -> list[FlagRecord]:
        return [
            f
            for f in flags
            if (not self.category or f.category == self.category) and (not self.platform or f.platform == self.platform)
        ]

    def query(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}

    def describe(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.query().items())


def weeks_back(now: datetime, weeks: int) -> list[str]:
    return [iso_week((now - timedelta(weeks=weeks - 1 - i)).timestamp()) for i in range(weeks)]


def decided_at(events: Sequence[FlagEvent]) -> dict[str, float]:
    """Flag id -> when a moderator first decided it."""
    out: dict[str, float] = {}
    for e in events:
        if e.decided and e.flag_id not in out:
            out[e.flag_id] = e.created
    return out


def trends(
    flags: Sequence[FlagRecord],
    events: Sequence[FlagEvent],
    feedback: Sequence[FeedbackRecord],
    declines: Sequence[DeclineRecord],
    now: datetime,
    weeks: int,
) -> list[Chart]:
    labels = weeks_back(now, weeks)
    index = {w: i for i, w in enumerate(labels)}
    categories = sorted({f.category for f in flags})
    per_cat = {c: [0] * len(labels) for c in categories}
    for f in flags:
        week = iso_week(f.created)
        if week in index:
            per_cat[f.category][index[week]] += 1

    outcomes = Counter(f.status.value for f in flags)
    outcome_items = [(STATUS_LABELS[s.value], float(outcomes.get(s.value, 0))) for s in FlagStatus]

    decided = [[0, 0] for _ in labels]  # [decided, false alarms] by week raised
    for f in flags:
        week = iso_week(f.created)
        if week in index and f.decided:
            decided[index[week]][0] += 1
            decided[index[week]][1] += f.status is FlagStatus.FALSE_ALARM
    fa_rate: list[float | None] = [fa / d if d else None for d, fa in decided]

    first = decided_at(events)
    waits: dict[int, list[float]] = {}
    for f in flags:
        week = iso_week(f.created)
        if f.flag_id in first and week in index:
            waits.setdefault(index[week], []).append((first[f.flag_id] - f.created) / 3600)
    median_wait: list[float | None] = [statistics.median(waits[i]) if i in waits else None for i in range(len(labels))]

    helpful = [[0, 0] for _ in labels]
    for fb in feedback:
        week = iso_week(fb.created)
        if week in index:
            helpful[index[week]][0] += 1
            helpful[index[week]][1] += fb.helpful
    helpful_rate: list[float | None] = [h / n if n else None for n, h in helpful]

    topics = Counter(t for d in declines for t in d.topics)
    return [
        stacked_bars("per-category", "Flags per category per week", labels, per_cat),
        bars("outcomes", "Flags by outcome", outcome_items),
        line("false-alarms", "False-alarm rate of decided flags, by week raised", labels, fa_rate, percent=True),
        line(
            "time-to-decision",
            "Median time to a moderator's decision (hours), by week raised",
            labels,
            median_wait,
            unit=" h",
        ),
        line("helpfulness", "Answers rated helpful, by week", labels, helpful_rate, percent=True),
        bars(
            "declined-topics",
            "Topics of questions the bot declined",
            [(t, float(n)) for t, n in topics.most_common(12)],
        ),
    ]


def now_utc() -> datetime:
    return datetime.now(UTC)
