"""``gmcbot scan slack``: a back-scan of a channel's history through the fake Web API
(``conversations.history`` and ``conversations.replies`` with cursor paging and a 429),
the real CLI, the real screening and a real SQLite store (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import adapters.slack.history as slack_history
from bot.backscan import SCAN_RULE
from bot.service import GuidanceBot
from bot.store import open_records
from tests.adapters.backscan_world import Run, harmless, marker, planted, run_cli
from tests.adapters.slack_harness import payload
from tests.db.test_db_no_patient_data import stored_text
from tests.fakes.slack_api import BOT_ID, TEAM_ID, FakeSlackApi
from tests.privacy import leaks

CHANNEL = "C0HISTORY"
SINCE = 1_700_000_000.0
UNTIL = SINCE + 2000
TOTAL = 1000
PLANTED_AT = range(7, TOTAL, 33)  # 31 planted risks among 1,000 messages


def ts(i: int) -> str:
    return f"{SINCE + 1 + i:.6f}"


def history() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """1,000 channel messages (31 planted risks, a blocks-only one and a shared one among
    them), a thread whose reply carries a risk, a bot post and a join; and the planted
    texts by ts."""
    risks = iter(planted(len(PLANTED_AT)))
    messages: list[dict[str, Any]] = []
    risky: dict[str, Any] = {}
    for i in range(TOTAL):
        m: dict[str, Any] = {"type": "message", "user": f"U{i % 17:04d}", "text": harmless(i), "ts": ts(i)}
        if i in PLANTED_AT:
            g = next(risks)
            m["text"] = g.text
            risky[m["ts"]] = g
        messages.append(m)
    blocks_only = payload("event_message_blocks_only")["event"]
    shared = payload("event_message_shared")["event"]
    for i, shaped in ((100, blocks_only), (200, shared)):
        body = {k: v for k, v in shaped.items() if k not in ("channel", "event_ts", "channel_type", "team")}
        messages[i] = {**body, "ts": ts(i)}
        risky[ts(i)] = None
    parent = messages[300]
    parent.update(reply_count=2, thread_ts=parent["ts"])
    g = planted(len(PLANTED_AT) + 1)[-1]
    replies = [
        {"type": "message", "user": "U0001", "text": "thanks, will do " + marker(5000), "ts": f"{SINCE + 1500.5:.6f}"},
        {"type": "message", "user": "U0002", "text": g.text, "ts": f"{SINCE + 1500.7:.6f}"},
    ]
    for r in replies:
        r["thread_ts"] = parent["ts"]
    risky[replies[1]["ts"]] = g
    messages[400] = {"type": "message", "subtype": "bot_message", "bot_id": BOT_ID, "text": "x", "ts": ts(400)}
    messages[401] = {"type": "message", "subtype": "channel_join", "user": "U0009", "text": "joined", "ts": ts(401)}
    return messages + replies, risky


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(slack_history, "TIER3_INTERVAL", 0.0)
    with FakeSlackApi(retry_after=1) as fake:
        messages, risky = history()
        fake.add_history(CHANNEL, messages)
        monkeypatch.setenv("GMCBOT_EMBEDDER", "hashing")
        monkeypatch.setenv("GMCBOT_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("GMCBOT_SLACK_API_URL", fake.api_url)
        yield fake, risky, tmp_path


def scan(capsys: pytest.CaptureFixture[str], *more: str) -> Run:
    return run_cli(
        capsys, "scan", "slack", CHANNEL, "--since", "2023-11-14T22:13:20", "--until", "2023-11-14T22:46:40", *more
    )


def monitor(capsys: pytest.CaptureFixture[str]) -> None:
    on = run_cli(capsys, "settings", "channel", "slack", CHANNEL, "--workspace", TEAM_ID, "--monitored", "on")
    assert on.code == 0, on.err


def flags(data: Path) -> list[Any]:
    from bot.config import load_settings

    settings = load_settings(None, data_dir=data, embedder="hashing")
    records = open_records(settings)
    try:
        return list(records.flags())
    finally:
        records.close()


def test_a_scan_refuses_an_unmonitored_channel_and_says_what_to_do(world: Any, capsys: Any) -> None:
    run = scan(capsys)
    assert run.code == 2
    assert "not monitored" in run.err and "--monitored on" in run.err and "Traceback" not in run.err


def test_a_back_scan_of_1000_messages_finds_every_planted_risk_and_keeps_nothing_else(
    world: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, risky, data = world
    monitor(capsys)
    fake.rate_limit("conversations.history", times=1)  # Slack's 429: waited out, then carried on
    run = scan(capsys, "--json")
    assert run.code == 0, run.err
    counts = json.loads(run.out)
    assert counts["read"] == TOTAL + 2 and counts["screened"] == TOTAL
    found = flags(data)
    permalinks = {f.message_ref for f in found}
    expected = {f"https://trust.slack.com/archives/{CHANNEL}/p{t.replace('.', '')}" for t in risky}
    assert permalinks == expected, "every planted risk is flagged, and nothing else"
    assert counts["flagged"] == counts["recorded"] == len(risky)
    assert all(SCAN_RULE in f.rule_ids for f in found), "marked as found by a back-scan"
    history_calls = fake.calls_to("conversations.history", ok_only=False)
    assert [c.status for c in history_calls][:2] == [429, 200]
    assert len(history_calls) >= 1 + TOTAL // slack_history.PAGE_LIMIT
    assert fake.calls_to("conversations.replies"), "the thread's replies were read"
    assert not [c for c in fake.posted()], "a back-scan messages nobody"

    stored = stored_text(f"sqlite:///{data / 'gmcbot.sqlite3'}")
    checkpoint = "".join(p.read_text() for p in (data / "scans").glob("*.json"))
    for where, text in (("database", stored), ("output and logs", run.everything), ("checkpoint", checkpoint)):
        for g in risky.values():
            if g is not None:
                assert not leaks(g.needles, text), f"an identifier reached the {where}"
        kept = [i for i in [*range(TOTAL), 5000] if marker(i) in text]
        assert not kept, f"harmless messages {kept[:5]} reached the {where}"
    harmless_ts = {ts(i) for i in range(TOTAL)} - set(risky)
    assert not [t for t in harmless_ts if t in stored or t.replace(".", "") in stored]


def test_an_interrupted_scan_resumes_without_screening_again(
    world: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, risky, data = world
    monitor(capsys)
    screened: list[int] = []
    real = GuidanceBot.screen_many

    def counting(self: GuidanceBot, messages: Any, sensitivity: str = "normal") -> Any:
        if len(screened) == 5 and not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        screened.append(len(messages))
        return real(self, messages, sensitivity)

    interrupted: list[bool] = []
    monkeypatch.setattr(GuidanceBot, "screen_many", counting)
    first = scan(capsys)
    assert first.code == 130 and "run the same command again" in first.err
    done_first = sum(screened)
    assert 0 < done_first < TOTAL
    flagged_first = len(flags(data))

    second = scan(capsys, "--json")
    assert second.code == 0, second.err
    counts = json.loads(second.out)
    assert counts["resumed"] and counts["screened"] == TOTAL
    assert sum(screened) == TOTAL, "each message screened once across both runs"
    assert len(flags(data)) == len(risky) == flagged_first + counts["recorded"]

    again = scan(capsys)
    assert again.code == 0 and "already finished" in again.out
    assert sum(screened) == TOTAL
    restarted = scan(capsys, "--restart", "--dry-run", "--json")
    assert json.loads(restarted.out)["flagged"] == len(risky) and len(flags(data)) == len(risky)


def test_a_dry_run_records_nothing(world: Any, capsys: pytest.CaptureFixture[str]) -> None:
    fake, risky, data = world
    monitor(capsys)
    run = scan(capsys, "--dry-run")
    assert run.code == 0, run.err
    assert f"{len(risky)} flagged" in run.out and "nothing was recorded" in run.out
    assert not flags(data) and not list((data / "scans").glob("*.json"))


def test_bad_times_and_a_missing_token_are_clear_errors(
    world: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = run_cli(capsys, "scan", "slack", CHANNEL, "--since", "last tuesday")
    assert bad.code == 2 and "cannot read the time" in bad.err
    backwards = run_cli(capsys, "scan", "slack", CHANNEL, "--since", "1d", "--until", "2d")
    assert backwards.code == 2 and "--since must be before --until" in backwards.err
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    missing = run_cli(capsys, "scan", "slack", CHANNEL, "--since", "1d")
    assert missing.code == 2 and "SLACK_BOT_TOKEN is not set" in missing.err
