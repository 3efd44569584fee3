"""The blind-written training questions (guidance_corpus/questions/blind_written/) are in the
search data where tools/blind_questions.py puts them, and bad lines are named."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("blind_questions", ROOT / "tools" / "blind_questions.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_blind_written_question_is_in_the_search_data() -> None:
    tool = load_tool()
    assert sorted((ROOT / "guidance_corpus" / "questions" / "blind_written").glob("*.jsonl"))
    assert tool.missing() == []


def test_add_then_check_round_trip_and_a_missing_question_is_reported(tmp_path: Path) -> None:
    tool = load_tool()
    questions, blind = tmp_path / "questions", tmp_path / "questions" / "blind_written"
    blind.mkdir(parents=True)
    (questions / "asks.jsonl").write_text("", encoding="utf-8")
    (questions / "out_of_scope.jsonl").write_text("", encoding="utf-8")
    labelled = blind / "w.jsonl"
    rows = [
        {"id": "a1", "question": "can i  add a pt on fb | insta", "relevant": ["gmc-sm-2024:17", "nmc-sm:x"]},
        {"id": "a2", "question": "how do I reset my nhsmail password", "relevant": [], "topic": "IT help"},
    ]
    labelled.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert tool.add(labelled, questions) == (1, 1)
    asks = json.loads((questions / "asks.jsonl").read_text(encoding="utf-8"))
    assert asks == {"id": "gmc-sm-2024:17", "asks": ["can i add a pt on fb / insta"]}
    assert tool.missing(questions, blind) == []
    (questions / "out_of_scope.jsonl").write_text("", encoding="utf-8")
    assert tool.missing(questions, blind) == ["w.jsonl a2: not in out_of_scope.jsonl"]


def test_a_line_without_a_topic_or_broken_names_the_file_and_line(tmp_path: Path) -> None:
    tool = load_tool()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "rota swap?", "relevant": []}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:1: .*topic"):
        tool.read_labelled(bad)
    bad.write_text('\n{"question": "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:2: not a labelled question line"):
        tool.read_labelled(bad)
