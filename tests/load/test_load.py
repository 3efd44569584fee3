"""Bounded load test: ``gmcbot serve slack --http`` in a child process takes a burst of
signed deliveries from 50 concurrent senders, and nothing is lost or doubled.

The full-size run (1,000 events) is ``python -m benchmarks --only load``; this one is
small enough for CI (200 events, the hashing embedder) but has the same mix: ``/gmc``
commands, mentions, messages in a monitored channel (about half risky) and Slack-style
retries of some events.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.load.world import ACK_LIMIT, dump, run_load

pytestmark = pytest.mark.load

EVENTS = 200
SENDERS = 50


def test_a_burst_from_50_senders_is_acknowledged_in_time_and_loses_nothing(tmp_path: Path, database_url: str) -> None:
    """On both audit stores: SQLite in the data folder, and a PostgreSQL schema."""
    result = run_load(tmp_path, EVENTS, SENDERS, database_url=database_url)
    shown = dump(result)
    retries = result["requests"] - result["events"]
    assert result["events"] == EVENTS and retries > 0, shown
    # Every request (retries included) had its acknowledgement within Slack's 3 seconds.
    assert result["acked"] == result["requests"] == result["acked_within_3s"], shown
    assert result["ack_max_ms"] < ACK_LIMIT * 1000, shown
    # Every command and mention answered once; every risky message flagged once: its private
    # notice, its moderators' notice and its audit record; nothing else was sent.
    assert result["owed"] == result["delivered"] > 0, shown
    assert (result["lost"], result["duplicated"], result["unexpected"], result["sorry"]) == (0, 0, 0, 0), shown
    assert result["flags_expected"] > 0, shown
    assert result["flags_stored"] == result["flags_expected"] == result["moderator_posts"], shown
    assert (result["flags_missing"], result["flags_doubled"]) == (0, 0), shown
    # The server's own metrics agree with what the fake and the store saw.
    assert result["metrics_flags"] == result["flags_expected"], shown
    assert result["metrics_answers"] == result["owed"] - result["flags_expected"], shown
    assert result["metrics_requests"]["duplicate"] == retries, shown
    assert result["metrics_requests"]["command"] + result["metrics_requests"]["event_callback"] == result["requests"]
    # SIGTERM afterwards is a clean, quick exit.
    assert result["exit_code"] == 0 and result["shutdown_seconds"] < 10, shown
