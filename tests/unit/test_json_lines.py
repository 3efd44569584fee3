"""One reader for JSON Lines data files: each line's place, and its object or None."""

from __future__ import annotations

from pathlib import Path

from bot.json_lines import json_objects


def test_each_line_keeps_its_place_and_a_line_without_an_object_gives_none(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text('{"a": 1}\n\n   \n{broken\n[1, 2]\nnull\n{"b": "é"}\n', encoding="utf-8")
    assert list(json_objects(path)) == [
        (f"{path}:1", {"a": 1}),
        (f"{path}:4", None),
        (f"{path}:5", None),
        (f"{path}:6", None),
        (f"{path}:7", {"b": "é"}),
    ]
