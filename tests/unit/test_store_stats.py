"""Audit figures and the bounded waiting queue, as pure units."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from bot.records import FeedbackRecord, FlagRecord
from bot.store.pending import PendingWrites
from bot.store.stats import audit_stats, iso_week
from bot.types import FlagStatus


def flag(day: str, category: str, status: FlagStatus = FlagStatus.OPEN) -> FlagRecord:
    created = datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()
    return FlagRecord(
        flag_id=day + category,
        created=created,
        platform="slack",
        workspace="T",
        channel="C",
        message_ref="",
        user_hash="h",
        category=category,
        severity="high",
        rule_ids=(),
        citation_ids=(),
        redacted="",
        status=status,
    )


def feedback(helpful: bool) -> FeedbackRecord:
    return FeedbackRecord(
        created=0.0, platform="slack", user_hash="h", question_redacted="q", citation_ids=(), helpful=helpful
    )


def test_iso_week_crosses_the_year_boundary() -> None:
    assert iso_week(datetime(2026, 1, 1, tzinfo=UTC).timestamp()) == "2026-W01"
    assert iso_week(datetime(2027, 1, 1, tzinfo=UTC).timestamp()) == "2026-W53"


def test_stats_count_weeks_categories_outcomes_and_helpfulness() -> None:
    flags = [
        flag("2026-01-05", "disrespect", FlagStatus.FALSE_ALARM),
        flag("2026-01-06", "disrespect"),
        flag("2026-01-07", "patient-identifiable", FlagStatus.CONFIRMED),
        flag("2026-01-14", "patient-identifiable", FlagStatus.REMOVED),
        flag("2026-01-15", "honesty", FlagStatus.CONFIRMED),
    ]
    stats = audit_stats(flags, [feedback(True), feedback(True), feedback(False)])
    assert stats.per_week == {
        "2026-W02": {"disrespect": 2, "patient-identifiable": 1},
        "2026-W03": {"honesty": 1, "patient-identifiable": 1},
    }
    assert stats.per_category == {"disrespect": 2, "honesty": 1, "patient-identifiable": 2}
    assert stats.per_status == {"open": 1, "removed": 1, "false_alarm": 1, "confirmed": 2}
    assert stats.reviewed == 4 and stats.false_alarm_rate == 0.25
    assert stats.helpful_rate == pytest.approx(2 / 3)


def test_stats_with_nothing_reviewed_have_no_rates() -> None:
    stats = audit_stats([flag("2026-01-05", "honesty")], [])
    assert stats.false_alarm_rate is None and stats.helpful_rate is None
    assert stats.to_json()["flags"] == 1


def test_pending_queue_is_bounded_and_keeps_the_oldest(caplog: pytest.LogCaptureFixture) -> None:
    queue = PendingWrites(limit=2, where="sqlite:///x")
    writes = [lambda conn, i=i: i for i in range(4)]
    assert [queue.add(w) for w in writes] == [True, True, False, False]
    assert len(queue) == 2 and queue.peek() is writes[0] and queue.dropped == 2
    assert len([r for r in caplog.records if "dropping further records" in r.getMessage()]) == 1


def test_outage_is_logged_once_and_recovery_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.store")
    queue = PendingWrites(limit=5, where="postgresql+psycopg://u:***@h/db")
    for _ in range(3):
        queue.mark_down(ConnectionError("secret detail"))
    queue.mark_up()
    queue.mark_up()
    messages = [r.getMessage() for r in caplog.records]
    assert sum("lost the database" in m for m in messages) == 1
    assert sum("is back" in m for m in messages) == 1
    assert all("secret detail" not in m for m in messages)  # the error's text is never logged
    assert any("ConnectionError" in m for m in messages)
