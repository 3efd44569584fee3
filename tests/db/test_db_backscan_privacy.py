"""Privacy proof for the back-scan path (issue 19), on SQLite and PostgreSQL: ``gmcbot scan
slack`` over a fake channel of 1,000 messages with generated patient details planted
(:mod:`tests.generated`); afterwards no generated value, and nothing of any harmless
message (its marker word or its timestamp), is in any table, the output, the logs or the
checkpoint, and every planted risk is in the flag queue."""

from __future__ import annotations

from pathlib import Path

import pytest

import adapters.slack.history as slack_history
from bot.config import load_settings
from bot.store import open_records
from tests.adapters.backscan_world import marker, run_cli
from tests.adapters.test_backscan_slack import CHANNEL, TOTAL, history, ts
from tests.db.test_db_no_patient_data import stored_text
from tests.fakes.slack_api import TEAM_ID, FakeSlackApi
from tests.privacy import leaks


def test_a_back_scan_keeps_no_patient_data_and_nothing_of_unflagged_messages(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(slack_history, "TIER3_INTERVAL", 0.0)
    data = tmp_path / "data"
    with FakeSlackApi() as fake:
        messages, risky = history()
        fake.add_history(CHANNEL, messages)
        for name, value in (
            ("GMCBOT_EMBEDDER", "hashing"),
            ("GMCBOT_DATA_DIR", str(data)),
            ("GMCBOT_DATABASE_URL", database_url),
            ("SLACK_BOT_TOKEN", "xoxb-test"),
            ("GMCBOT_SLACK_API_URL", fake.api_url),
        ):
            monkeypatch.setenv(name, value)
        on = run_cli(capsys, "settings", "channel", "slack", CHANNEL, "--workspace", TEAM_ID, "--monitored", "on")
        assert on.code == 0, on.err
        run = run_cli(
            capsys, "scan", "slack", CHANNEL, "--since", "2023-11-14T22:13:20", "--until", "2023-11-14T22:46:40"
        )
        assert run.code == 0, run.err
    records = open_records(load_settings(None, data_dir=data, embedder="hashing"))
    try:
        assert len(records.flags()) == len(risky)
    finally:
        records.close()
    stored = stored_text(database_url)
    checkpoint = "".join(p.read_text() for p in (data / "scans").glob("*.json"))
    for where, text in (("database", stored), ("output and logs", run.everything), ("checkpoint", checkpoint)):
        for g in risky.values():
            if g is not None:
                assert not leaks(g.needles, text), f"an identifier reached the {where}"
        assert not [i for i in [*range(TOTAL), 5000] if marker(i) in text], f"a harmless message reached the {where}"
    unflagged = {ts(i) for i in range(TOTAL)} - set(risky)
    assert not [t for t in unflagged if t in stored or t.replace(".", "") in stored]
