"""The screening data under guidance_corpus/screening/ loads, cites real paragraphs, and
reports every problem in a broken copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.corpus import load_corpus
from bot.screening.data import ScreeningDataError, check_citations, load_screening_data
from bot.types import Category
from guidance_corpus import SCREENING_DIR


def test_shipped_data_loads_and_cites_existing_paragraphs() -> None:
    data = load_screening_data()
    assert check_citations(data, (p.id for p in load_corpus().paragraphs)) == []
    assert {r.category for r in data.rules} == set(Category)
    assert {s.category for s in data.exemplars if s.category} == set(Category)
    assert all(r.cites and r.reason for r in data.rules)


def test_every_category_cites_current_guidance_first() -> None:
    corpus = load_corpus()
    data = load_screening_data()
    for rule in data.rules:
        doc = corpus.documents[rule.cites[0].split(":")[0]]
        assert doc.status.in_force, rule.id
    for s in data.exemplars:
        if s.cites:
            assert corpus.documents[s.cites[0].split(":")[0]].status.in_force, s.id


def test_reasons_are_plain_words() -> None:
    data = load_screening_data()
    for text in [r.reason for r in data.rules] + [s.reason for s in data.exemplars if s.reason]:
        assert text[0].isupper() and text.endswith("."), text
        assert "{" not in text and "\\" not in text


def _broken_copy(tmp_path: Path) -> Path:
    target = tmp_path / "screening"
    shutil.copytree(SCREENING_DIR, target)
    return target


def test_broken_data_lists_every_problem(tmp_path: Path) -> None:
    folder = _broken_copy(tmp_path)
    rules = folder / "rules.toml"
    rules.write_text(
        rules.read_text(encoding="utf-8")
        + """
[[rule]]
id = "Bad Id"
category = "gossip"
cites = []
weight = "heavy"
reason = ""
all = ['{no_such_term}', '(unclosed']
""",
        encoding="utf-8",
    )
    with pytest.raises(ScreeningDataError) as err:
        load_screening_data(folder)
    message = str(err.value)
    for expected in (
        "Bad Id",
        "unknown category 'gossip'",
        "'cites'",
        "'weight' must be a number",
        "'reason' must be non-empty",
        "no_such_term",
        "bad pattern",
    ):
        assert expected in message, expected


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    folder = _broken_copy(tmp_path)
    (folder / "terms.toml").write_text("[terms\n", encoding="utf-8")
    (folder / "policy.toml").unlink()
    with pytest.raises(ScreeningDataError) as err:
        load_screening_data(folder)
    assert "terms.toml: not valid TOML" in str(err.value)
    assert "policy.toml: missing" in str(err.value)


def test_unknown_cited_paragraph_is_reported(tmp_path: Path) -> None:
    data = load_screening_data()
    assert check_citations(data, ["gmc-conf-2017:121"])  # most ids missing from a tiny corpus
