"""The quality bar for answering, with the real MiniLM model (issue 2): CI fails below it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.evaluation import read_jsonl, score_questions
from bot.retrieval import Method
from tests.conftest import EVAL_DIR, ROOT

HOLDOUT = ROOT / "tests" / "data" / "questions_holdout.jsonl"

pytestmark = pytest.mark.model


@dataclass(frozen=True)
class Bar:
    hit_at_1: float
    hit_at_3: float
    decline_accuracy: float
    false_decline_rate: float


# The development set carries the bar. The held-out set was written apart from it
# and from the paragraphs' asks and is never used for tuning: it checks that the method
# generalises, with a bar a little lower (a different, smaller sample).
BARS = {
    EVAL_DIR / "questions.jsonl": Bar(0.80, 0.95, 0.80, 0.05),
    HOLDOUT: Bar(0.75, 0.90, 0.75, 0.05),
}


@pytest.mark.parametrize("path", list(BARS), ids=lambda p: p.name)
def test_question_sets_meet_their_quality_bar(minilm_bot, path: Path) -> None:  # type: ignore[no-untyped-def]
    bar = BARS[path]
    rows = read_jsonl(path, ("question", "relevant"))
    scores = score_questions(rows, minilm_bot.ask_many([r["question"] for r in rows], top=3))
    print(path.name, scores.to_json())
    assert scores.hit_at_1 >= bar.hit_at_1
    assert scores.hit_at_3 >= bar.hit_at_3
    assert scores.decline_accuracy >= bar.decline_accuracy
    assert scores.false_decline_rate <= bar.false_decline_rate


def test_hybrid_beats_each_ranker_alone(minilm_bot) -> None:  # type: ignore[no-untyped-def]
    rows = read_jsonl(EVAL_DIR / "questions.jsonl", ("question", "relevant"))
    questions = [r["question"] for r in rows]
    mrr = {m: score_questions(rows, minilm_bot.ask_many(questions, top=3, method=m)).mrr for m in Method}
    print({m.value: round(v, 3) for m, v in mrr.items()})
    assert mrr[Method.HYBRID] > mrr[Method.DENSE] and mrr[Method.HYBRID] > mrr[Method.BM25]


def test_sample_question_cites_a_gmc_paragraph(minilm_bot) -> None:  # type: ignore[no-untyped-def]
    answer = minilm_bot.ask("/gmc can I reply to a patient on Twitter?")
    assert answer.citations and answer.citations[0].paragraph.doc_id.startswith("gmc-")


def test_loading_the_model_keeps_numpy_blas_to_one_thread(minilm_bot) -> None:  # type: ignore[no-untyped-def]
    """OpenBLAS's spinning threads would compete with torch's for the cores."""
    from threadpoolctl import threadpool_info

    minilm_bot.ask("can I post a photo of my ward?")
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas" and "numpy" in pool["filepath"]]
    assert blas and all(pool["num_threads"] == 1 for pool in blas), blas
