"""The back-scan use case (:mod:`bot.backscan`) and its checkpoints, with the real core on
the hashing embedder and in-memory records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.cli.scan_cmds import parse_when
from bot.backscan import SCAN_REASON, SCAN_RULE, HistoryItem, ScanJob, ScanState, back_scan
from bot.config import Settings
from bot.errors import ConfigError
from bot.records import MemoryRecords
from bot.scan_state import FileCheckpoints
from bot.service import GuidanceBot
from bot.types import Actor, Conversation, Message, Platform
from index.embedders import HashingEmbedder

RISKY = "Mrs Edna Higginbottom NHS 418 096 7928 is in bed 4"
JOB = ScanJob(Platform.SLACK, "T1", "C1", 1000.0, 2000.0)


def item(i: int, text: str) -> HistoryItem:
    message = Message(text, Actor(f"U{i}"), Conversation(Platform.SLACK, "T1", "C1"), ref=f"{1000 + i}.000100")
    return HistoryItem(message, position=f"{1000 + i}.000100", progress=i / 100)


def channel(n: int = 100, risky: tuple[int, ...] = (3, 50, 97)) -> list[HistoryItem]:
    return [item(i, RISKY if i in risky else f"Rota swap for shift {i}, anyone?") for i in range(n)]


@pytest.fixture
def guide(tmp_path: Path) -> GuidanceBot:
    return GuidanceBot(Settings(data_dir=tmp_path / "data"), embedder=HashingEmbedder(), records=MemoryRecords())


def test_flags_are_recorded_marked_and_the_checkpoint_keeps_no_text(guide: GuidanceBot, tmp_path: Path) -> None:
    checkpoints = FileCheckpoints(tmp_path / "scans")
    seen: list[float] = []
    result = back_scan(
        guide, JOB, lambda pos: iter(channel()), checkpoints, batch=16, progress=lambda f, r: seen.append(f)
    )
    assert (result.read, result.screened, result.flagged, len(result.flag_ids)) == (100, 100, 3, 3)
    records = guide.records
    assert isinstance(records, MemoryRecords)
    assert {f.message_ref for f in records.flags.values()} == {"1003.000100", "1050.000100", "1097.000100"}
    assert all(SCAN_RULE in f.rule_ids for f in records.flags.values())
    assert seen == sorted(seen) and seen[-1] == 1.0
    saved = json.loads((tmp_path / "scans" / f"{JOB.key}.json").read_text())
    assert saved["done"] and saved["position"] == "1099.000100" and "Higginbottom" not in json.dumps(saved)
    assert set(saved) == {
        "key",
        "platform",
        "channel",
        "since",
        "until",
        "position",
        "read",
        "screened",
        "flagged",
        "done",
    }
    again = back_scan(guide, JOB, lambda pos: iter(channel()), checkpoints)
    assert again.already_done and not again.flag_ids and len(records.flags) == 3


def test_a_run_cut_short_resumes_after_the_last_whole_batch(guide: GuidanceBot, tmp_path: Path) -> None:
    checkpoints = FileCheckpoints(tmp_path / "scans")
    asked: list[str] = []

    def breaking(pos: str) -> Iterator[HistoryItem]:
        asked.append(pos)
        for it in channel():
            if it.position == "1060.000100" and len(asked) == 1:
                raise KeyboardInterrupt
            yield it

    with pytest.raises(KeyboardInterrupt):
        back_scan(guide, JOB, breaking, checkpoints, batch=16)
    state = checkpoints.load(JOB.key)
    assert state is not None and state.position == "1047.000100" and state.screened == 48 and not state.done

    def rest(pos: str) -> Iterator[HistoryItem]:
        asked.append(pos)
        return iter([i for i in channel() if i.position > pos])

    result = back_scan(guide, JOB, rest, checkpoints, batch=16)
    assert asked == ["", "1047.000100"] and result.resumed
    assert (result.read, result.screened, result.flagged, len(result.flag_ids)) == (100, 100, 3, 2)


def test_a_flag_is_not_recorded_twice_when_a_batch_is_read_again(guide: GuidanceBot, tmp_path: Path) -> None:
    checkpoints = FileCheckpoints(tmp_path / "scans")
    back_scan(guide, JOB, lambda pos: iter(channel()), checkpoints)
    checkpoints.clear(JOB.key)
    second = back_scan(guide, JOB, lambda pos: iter(channel()), checkpoints)
    assert second.flagged == 3 and not second.flag_ids
    assert isinstance(guide.records, MemoryRecords) and len(guide.records.flags) == 3


def test_a_dry_run_records_nothing_and_keeps_no_checkpoint(guide: GuidanceBot, tmp_path: Path) -> None:
    result = back_scan(guide, JOB, lambda pos: iter(channel()), FileCheckpoints(tmp_path / "scans"), dry_run=True)
    assert result.flagged == 3 and result.categories["patient-identifiable"] == 3 and not result.flag_ids
    assert isinstance(guide.records, MemoryRecords) and not guide.records.flags
    assert not (tmp_path / "scans").exists()


def test_items_without_a_message_are_counted_but_not_screened(guide: GuidanceBot, tmp_path: Path) -> None:
    items = [HistoryItem(None, "1.0"), item(1, RISKY), HistoryItem(None, "3.0")]
    result = back_scan(guide, JOB, lambda pos: iter(items), FileCheckpoints(tmp_path / "scans"))
    assert (result.read, result.screened, result.flagged) == (3, 1, 1)


def test_checkpoints_survive_damage_and_refuse_odd_keys(tmp_path: Path) -> None:
    checkpoints = FileCheckpoints(tmp_path)
    checkpoints.save(ScanState(JOB.key, "slack", "C1", 1.0, 2.0, position="5.5"))
    loaded = checkpoints.load(JOB.key)
    assert loaded is not None and loaded.position == "5.5"
    (tmp_path / f"{JOB.key}.json").write_text("{not json")
    assert checkpoints.load(JOB.key) is None
    with pytest.raises(ValueError):
        checkpoints.load("../../etc/passwd")


def test_the_job_key_names_the_range_and_until_now_is_kept() -> None:
    later = ScanJob(Platform.SLACK, "T1", "C1", 1000.0, 3000.0)
    assert JOB.key != later.key
    now1 = ScanJob(Platform.SLACK, "T1", "C1", 1000.0, 2000.0, until_given=False)
    now2 = ScanJob(Platform.SLACK, "T1", "C1", 1000.0, 2500.0, until_given=False)
    assert now1.key == now2.key != JOB.key


def test_scan_flags_say_where_they_came_from(guide: GuidanceBot) -> None:
    flag = guide.screen(RISKY).flag
    assert flag is not None
    from bot.backscan import scan_flag

    marked = scan_flag(flag)
    assert marked.rule_ids[-1] == SCAN_RULE and marked.reasons[-1] == SCAN_REASON
    assert scan_flag(marked) == marked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", 1793491200.0),
        ("2026-11-01T08:00", 1793520000.0),
        ("2026-11-01T08:00+01:00", 1793516400.0),
        ("90d", 1_000_000_000.0 - 90 * 86400),
        ("12h", 1_000_000_000.0 - 12 * 3600),
        ("2w", 1_000_000_000.0 - 14 * 86400),
        ("30m", 1_000_000_000.0 - 1800),
    ],
)
def test_when_is_read_as_a_date_a_time_or_an_age(text: str, expected: float) -> None:
    assert parse_when(text, now=1_000_000_000.0) == expected


def test_an_unreadable_when_says_what_to_give() -> None:
    with pytest.raises(ConfigError, match="ISO date"):
        parse_when("next week")


def test_the_review_console_says_a_flag_came_from_a_back_scan() -> None:
    from adapters.review_web.data import Explainer

    assert Explainer().reasons(("nhs-number", SCAN_RULE))[-1] == SCAN_REASON


def test_the_progress_bar_shows_the_share_of_the_range_read(capsys: pytest.CaptureFixture[str]) -> None:
    from adapters.cli.scan_cmds import _Progress
    from bot.backscan import ScanResult

    with _Progress(True) as show:
        assert show is not None
        show(0.5, ScanResult(read=500, flagged=3))
    err = capsys.readouterr().err
    assert "50%" in err and "read=500" in err and "flagged=3" in err
    with _Progress(False) as hidden:
        assert hidden is None
