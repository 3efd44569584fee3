"""The citation vote: labelled example messages choose a flag's first paragraph."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.corpus import load_corpus
from bot.screening.citer import CITATIONS_DIR, CitationVote, CitedExample, read_cited_examples
from bot.screening.data import ScreeningDataError, load_screening_data
from bot.screening.evidence import Evidence
from bot.screening.policy import FlagPolicy
from bot.types import Category

COI = Category.CONFLICT_OF_INTEREST
HONESTY = Category.HONESTY


def _unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_the_nearest_examples_of_the_category_vote_and_first_places_count_most() -> None:
    examples = [
        CitedExample("a", COI, ("gmc-gmp-2024:95", "gmc-gmp-2024:94")),
        CitedExample("b", COI, ("gmc-gmp-2024:94",)),
        CitedExample("c", COI, ("gmc-gmp-2024:90",)),
        CitedExample("d", HONESTY, ("gmc-gmp-2024:89",)),
    ]
    matrix = np.stack([_unit(1, 0, 0), _unit(1, 0.1, 0), _unit(0, 1, 0), _unit(1, 0, 0)])
    vote = CitationVote(examples, matrix=matrix, k=2)
    ranked = vote.ranked(_unit(1, 0, 0), COI)
    # a and b are nearest; 94 is first for b and second for a, 95 first for a only.
    assert ranked[:2] == ["gmc-gmp-2024:94", "gmc-gmp-2024:95"]
    assert "gmc-gmp-2024:90" not in ranked  # c is not among the two nearest
    assert "gmc-gmp-2024:89" not in ranked  # another category's example never votes
    assert vote.ranked(_unit(0, 1, 0), COI)[0] == "gmc-gmp-2024:90"
    assert vote.ranked(_unit(0, 1, 0), Category.BOUNDARIES) == []
    assert vote.ranked(np.zeros(3, dtype=np.float32), COI) == []


def test_paragraphs_the_corpus_lacks_are_never_voted_for() -> None:
    examples = [CitedExample("a", COI, ("gone:1", "gmc-gmp-2024:95"))]
    vote = CitationVote(examples, matrix=np.stack([_unit(1, 0)]), known={"gmc-gmp-2024:95"})
    assert vote.ranked(_unit(1, 0), COI) == ["gmc-gmp-2024:95"]


def test_a_bad_line_is_refused_naming_its_file_and_line(tmp_path: Path) -> None:
    good = {"text": "rep paid for the golf", "category": "conflict-of-interest", "relevant": ["gmc-gmp-2024:95"]}
    lines = [json.dumps(good), "{not json", json.dumps({**good, "relevant": []}), json.dumps({**good, "category": "x"})]
    (tmp_path / "labeller.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ScreeningDataError) as caught:
        read_cited_examples(tmp_path)
    problems = caught.value.problems
    assert [p.split(": ")[0] for p in problems] == [f"{tmp_path / 'labeller.jsonl'}:{n}" for n in (2, 3, 4)]
    assert read_cited_examples(tmp_path / "absent") == []


def test_the_shipped_examples_cite_paragraphs_of_the_corpus_in_every_category() -> None:
    examples = read_cited_examples(CITATIONS_DIR)
    known = {p.id for p in load_corpus().paragraphs}
    assert {e.category for e in examples} == set(Category)
    assert all(pid in known for e in examples for pid in e.relevant)
    assert not any(e.relevant[0].startswith("gmc-sm-2013:") for e in examples)  # superseded never leads


def test_the_vote_leads_the_flag_citations_and_the_evidence_follows() -> None:
    policy = FlagPolicy(load_screening_data().policy, load_corpus())
    rule = Evidence(COI, 3.0, ("gmc-gmp-2024:90",), "It links a payment to prescribing.", "rule:x")
    plain = policy.decide([rule], "x", [])
    assert plain is not None and [c.id for c in plain.citations][0] == "gmc-gmp-2024:90"
    voted = policy.decide([rule], "x", [], vote=lambda cat: ["gmc-gmp-2024:95", "gmc-gmp-2024:94"])
    assert voted is not None
    assert [c.id for c in voted.citations][:2] == ["gmc-gmp-2024:95", "gmc-gmp-2024:90"]
    assert voted.reasons == plain.reasons  # the reasons are still the evidence's
