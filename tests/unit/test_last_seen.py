"""The last message id seen per channel (``bot.scan_state.LastSeen``) and the positions the
Discord catch-up holds back while a channel catches up (``adapters.discord.catchup.Positions``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from adapters.discord.catchup import Positions
from bot.scan_state import LastSeen, last_seen_path


def test_positions_only_move_forward_and_survive_a_restart(tmp_path: Path) -> None:
    path = last_seen_path(tmp_path, "discord")
    seen = LastSeen(path)
    assert seen.get("1") is None
    assert seen.advance("1", 50) and not seen.advance("1", 40) and not seen.advance("1", 50)
    assert seen.advance("2", 7)
    assert json.loads(path.read_text()) == {"channels": {"1": 50, "2": 7}}  # ids only
    assert LastSeen(path).get("1") == 50
    assert not path.with_suffix(".tmp").exists()


def test_an_unreadable_file_counts_as_empty(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = last_seen_path(tmp_path, "discord")
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert LastSeen(path).get("1") is None
    assert "not readable" in caplog.text


def test_live_positions_are_held_until_the_channel_has_caught_up(tmp_path: Path) -> None:
    seen = LastSeen(last_seen_path(tmp_path, "discord"))
    seen.advance("1", 10)
    positions = Positions(seen)
    positions.seen_live("1", 30)  # before any catch-up: held
    positions.seen_live("2", 5)
    assert seen.get("1") == 10 and seen.get("2") is None
    positions.hold(["1"])  # channel 2 is not caught up: its held position is written
    assert seen.get("2") == 5
    positions.seen_live("1", 40)
    positions.advance("1", 20)  # the catch-up handled 20
    assert seen.get("1") == 20
    positions.release("1")  # done: the newest live position
    assert seen.get("1") == 40
    positions.seen_live("1", 45)  # after its catch-up: written at once
    assert seen.get("1") == 45
    positions.hold(["1"])
    positions.seen_live("1", 60)
    positions.release("1", 55)  # read to the end at 55 ("now"): the later live one wins
    assert seen.get("1") == 60
