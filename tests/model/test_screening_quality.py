"""The quality bar for screening, with the real MiniLM model (issue 3): CI fails below it.

Runs the development messages (and the project's own held-out messages) through
``GuidanceBot.screen_many`` and scores them with ``bot.evaluation.score_messages``, the
same figures ``gmcbot eval messages`` prints."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.config import Settings
from bot.evaluation import read_jsonl, score_messages
from bot.service import GuidanceBot
from tests.conftest import EVAL_DIR

pytestmark = pytest.mark.model

DATA = Path(__file__).resolve().parents[1] / "data"
# Held-out messages written for this project, not from the development set. Set "c" was
# scored once before any rule was changed for it (figures in guidance_corpus/screening/README.md).
HOLDOUTS = ("messages_holdout.jsonl", "messages_holdout_b.jsonl", "messages_holdout_c.jsonl")


@pytest.fixture(scope="module")
def screening_bot(minilm, tmp_path_factory):  # type: ignore[no-untyped-def]
    bot = GuidanceBot(Settings(data_dir=tmp_path_factory.mktemp("screening-model")), embedder=minilm)
    bot.screen("warm up")
    return bot


def _scores(bot: GuidanceBot, path: Path):  # type: ignore[no-untyped-def]
    rows = read_jsonl(path, ("text", "risky"))
    scores = score_messages(rows, bot.screen_many([r["text"] for r in rows]))
    print(path.name, scores.to_json())
    return scores


def test_development_messages_meet_the_quality_bar(screening_bot) -> None:  # type: ignore[no-untyped-def]
    scores = _scores(screening_bot, EVAL_DIR / "messages.jsonl")
    assert scores.recall >= 0.90
    assert scores.false_alarm_rate <= 0.05
    assert scores.category_accuracy >= 0.80
    assert scores.citation_accuracy >= 0.80


@pytest.mark.parametrize("name", HOLDOUTS)
def test_held_out_messages_meet_the_quality_bar(screening_bot, name: str) -> None:  # type: ignore[no-untyped-def]
    scores = _scores(screening_bot, DATA / name)
    assert scores.recall >= 0.90
    assert scores.false_alarm_rate <= 0.05
    assert scores.category_accuracy >= 0.80
    assert scores.citation_accuracy >= 0.80


# Sets whose wording the rules have not all been fitted to: "d" was measured first, then the
# rules were broadened by concept after its misses; "e" was written after that and no rule
# has been changed for it. Their bar only catches a fall: they gauge generalisation to
# phrasing the rules have never seen (figures in guidance_corpus/screening/README.md).
GAUGES = ("messages_holdout_d.jsonl", "messages_holdout_e.jsonl")


@pytest.mark.parametrize("name", GAUGES)
def test_later_held_out_sets_stay_at_their_measure(screening_bot, name: str) -> None:  # type: ignore[no-untyped-def]
    scores = _scores(screening_bot, DATA / name)
    assert scores.recall >= 0.70
    assert scores.false_alarm_rate <= 0.10
    assert scores.category_accuracy >= 0.80


def test_issue_example_with_the_real_model(screening_bot) -> None:  # type: ignore[no-untyped-def]
    result = screening_bot.screen("Patient in resus is John Carter, NHS no 943 476 5919")
    assert result.flag is not None and result.flag.category.value == "patient-identifiable"
    assert result.flag.citations[0].paragraph.doc_id == "gmc-conf-2017"
    assert "John Carter" not in result.redacted and "943 476 5919" not in result.redacted


def test_batched_screening_is_quick(screening_bot) -> None:  # type: ignore[no-untyped-def]
    rows = read_jsonl(EVAL_DIR / "messages.jsonl", ("text", "risky"))
    texts = [f"{r['text']} ({i})" for i in range(4) for r in rows]  # distinct texts, no cache hits
    start = time.perf_counter()
    screening_bot.screen_many(texts)
    rate = len(texts) / (time.perf_counter() - start)
    print(f"full pipeline: {rate:.0f} messages/s")
    assert rate >= 20  # a loose floor (catches a per-message model call); the benchmark reports the real figure
