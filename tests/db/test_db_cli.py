"""``gmcbot audit`` and ``gmcbot settings`` on both databases, run in-process through
``adapters.cli.main`` (the subprocess tests at the end check exit codes and no traceback)."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.cli import main
from bot.config import Settings
from bot.store import SqlRecords
from bot.types import Actor, Category, Conversation, Flag, FlagStatus, Message, Platform


@pytest.fixture
def cli(
    database_url: str, db_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[..., tuple[int, str, str]]]:
    """Run ``gmcbot ARGS`` in-process against the test database: (exit code, stdout, stderr)."""
    monkeypatch.setenv("GMCBOT_DATABASE_URL", database_url)
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("bot").level)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--data-dir", str(db_settings.data_dir), *args])
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    root.handlers[:], root.level = saved[0], saved[1]
    logging.getLogger("bot").setLevel(saved[2])


def days_ago(n: float) -> Callable[[], datetime]:
    moment = datetime.now(UTC) - timedelta(days=n)
    return lambda: moment


def post(channel: str, user: str = "U1") -> Message:
    return Message(
        text="unused",
        actor=Actor(user),
        ref=f"https://slack.test/{channel}/p1",
        conversation=Conversation(Platform.SLACK, workspace="T1", channel=channel),
    )


@pytest.fixture
def seeded(open_store: Callable[..., SqlRecords], make_flag: Callable[..., Flag]) -> dict[str, str]:
    """Three flags (100, 10 and 1 days old) and two feedback records."""
    ids = {}
    old = open_store(clock=days_ago(100))
    ids["old"] = old.record_flag(post("C1"), make_flag(redacted="old flag about [NAME]"))
    old.record_feedback("slack", Actor("U1"), "old question", ["gmc-sm-2024:19"], False)
    mid = open_store(clock=days_ago(10))
    ids["mid"] = mid.record_flag(post("C2"), make_flag(category=Category.DISRESPECT, redacted="mid flag"))
    mid.set_flag_status(ids["mid"], FlagStatus.FALSE_ALARM, Actor("UMOD"))
    new = open_store(clock=days_ago(1))
    ids["new"] = new.record_flag(post("C1"), make_flag(redacted="new flag"))
    new.set_flag_status(ids["new"], FlagStatus.CONFIRMED, Actor("UMOD"))
    new.record_feedback("slack", Actor("U2"), "new question", [], True)
    return ids


def test_list_filters(cli: Callable[..., tuple[int, str, str]], seeded: dict[str, str]) -> None:
    code, out, _ = cli("audit", "list")
    assert code == 0
    assert out.index(seeded["new"]) < out.index(seeded["mid"]) < out.index(seeded["old"])
    assert "old flag about [NAME]" in out and "gmc-sm-2024:19" in out
    _, out, _ = cli("audit", "list", "--since", "30d")
    assert seeded["old"] not in out and seeded["mid"] in out
    _, out, _ = cli("audit", "list", "--status", "false_alarm")
    assert seeded["mid"] in out and seeded["new"] not in out
    _, out, _ = cli("audit", "list", "--channel", "C1", "--json")
    assert [f["flag_id"] for f in json.loads(out)] == [seeded["new"], seeded["old"]]
    since = (datetime.now(UTC) - timedelta(days=5)).date().isoformat()
    _, out, _ = cli("audit", "list", "--since", since, "--json")
    assert [f["flag_id"] for f in json.loads(out)] == [seeded["new"]]


def test_export_csv_and_json(cli: Callable[..., tuple[int, str, str]], seeded: dict[str, str], tmp_path: Path) -> None:
    code, out, _ = cli("audit", "export", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["flag_id"] for r in rows} == set(seeded.values())
    row = next(r for r in rows if r["flag_id"] == seeded["old"])
    assert row["citation_ids"] == "gmc-sm-2024:19 gmc-conf-2017:121" and row["status"] == "open"
    assert row["created"].endswith("Z") and row["user_hash"] and row["user_hash"] != "U1"
    target = tmp_path / "feedback.json"
    code, _, err = cli("audit", "export", "--format", "json", "--table", "feedback", "--output", str(target))
    assert code == 0 and "Wrote 2 feedback records" in err
    data = json.loads(target.read_text())
    assert {d["question_redacted"]: d["helpful"] for d in data} == {"old question": False, "new question": True}


def test_stats(cli: Callable[..., tuple[int, str, str]], seeded: dict[str, str]) -> None:
    code, out, _ = cli("audit", "stats", "--json")
    assert code == 0
    stats = json.loads(out)
    assert stats["flags"] == 3 and stats["reviewed"] == 2
    assert stats["per_category"] == {"disrespect": 1, "patient-identifiable": 2}
    assert stats["false_alarm_rate"] == 0.5
    assert stats["feedback"] == 2 and stats["helpful_rate"] == 0.5
    assert sum(sum(c.values()) for c in stats["per_week"].values()) == 3
    _, text, _ = cli("audit", "stats")
    assert "False-alarm rate (of reviewed flags): 50%" in text


def test_purge(cli: Callable[..., tuple[int, str, str]], seeded: dict[str, str]) -> None:
    code, out, _ = cli("audit", "purge", "--older-than", "90d", "--dry-run")
    assert code == 0 and "Would delete 1 flags and 1 feedback" in out
    code, out, _ = cli("audit", "purge", "--older-than", "90d")
    assert code == 0 and "Deleted 1 flags and 1 feedback" in out
    _, out, _ = cli("audit", "list", "--json")
    assert seeded["old"] not in out and len(json.loads(out)) == 2
    code, _, err = cli("audit", "purge", "--older-than", "ninety days")
    assert code == 2 and "not an age" in err


def test_review(cli: Callable[..., tuple[int, str, str]], seeded: dict[str, str]) -> None:
    code, out, _ = cli("audit", "review", seeded["old"], "false_alarm", "--reviewer", "ig-lead")
    assert code == 0 and "marked false_alarm" in out
    _, out, _ = cli("audit", "list", "--status", "false_alarm", "--json")
    [flag] = [f for f in json.loads(out) if f["flag_id"] == seeded["old"]]
    assert flag["decided"] is True
    assert flag["flag_id"] == seeded["old"] and flag["reviewer_hash"] and "ig-lead" not in flag["reviewer_hash"]
    code, _, err = cli("audit", "review", "0" * 32, "confirmed")
    assert code == 1 and "no flag with id" in err


def test_settings_channel_show_change_list(cli: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = cli("settings", "channel", "slack", "C9", "--workspace", "T1")
    assert code == 0 and "not monitored" in out
    code, out, _ = cli(
        "settings",
        "channel",
        "slack",
        "C9",
        "--workspace",
        "T1",
        "--monitored",
        "on",
        "--moderators",
        "CMOD",
        "--sensitivity",
        "high",
        "--audience",
        "nurses",
        "--json",
    )
    assert code == 0
    assert json.loads(out) == {
        "platform": "slack",
        "workspace": "T1",
        "channel": "C9",
        "monitored": True,
        "moderators_channel": "CMOD",
        "sensitivity": "high",
        "audience": "nurses",
    }
    _, out, _ = cli("settings", "channel", "slack", "C9", "--workspace", "T1", "--monitored", "off")
    assert "not monitored" in out and "CMOD" in out and "high" in out and "nurses" in out  # other values kept
    _, out, _ = cli("settings", "channel", "slack", "C9", "--workspace", "T1", "--audience", "none", "--json")
    assert json.loads(out)["audience"] == ""
    _, out, _ = cli("settings", "list", "--json")
    assert [(s["channel"], s["monitored"]) for s in json.loads(out)] == [("C9", False)]


def test_bad_choices_are_usage_errors(cli: Callable[..., tuple[int, str, str]]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli("settings", "channel", "slack", "C9", "--sensitivity", "extreme")
    assert exc.value.code == 2
    code, _, err = cli("audit", "list", "--since", "last tuesday")
    assert code == 2 and "neither an age" in err
