"""Answering's encoder tuning: what it learns from, and the committed delta it made."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.answer_encoder_training import batches, data_digest, training_pairs
from bot.corpus import load_corpus
from bot.retrieval import base_text
from bot.voice_training import blind_written_questions
from guidance_corpus import ANSWER_ENCODER_DIR
from index.delta import load_delta
from index.embedders import MINILM_WEIGHTS_SHA256


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def test_pairs_cover_every_paragraph_and_leave_out_the_blind_written_questions(corpus) -> None:
    pairs = training_pairs(corpus)
    blind = blind_written_questions()
    assert blind and not any(ask in blind for ask, _ in pairs)
    assert {pid for _, pid in pairs} == {p.id for p in corpus.paragraphs}
    assert len(pairs) == len(set(pairs))
    own = [(a, p.id) for p in corpus.paragraphs for a in p.asks]
    assert pairs[: len(own)] == own  # each paragraph's own asks first, in corpus order


def test_the_committed_delta_was_made_from_todays_pairs(corpus) -> None:
    """Change the asks or the documents and this fails: run `make train-answer-encoder`."""
    manifest = json.loads((ANSWER_ENCODER_DIR / "delta.json").read_text(encoding="utf-8"))
    passages = {p.id: base_text(p) for p in corpus.paragraphs}
    assert manifest["data_sha256"] == data_digest(training_pairs(corpus), passages)
    delta = load_delta(ANSWER_ENCODER_DIR, MINILM_WEIGHTS_SHA256)
    assert delta is not None and delta.tag.startswith("answer-")


def test_batches_use_every_pair_once_in_a_fixed_order() -> None:
    pids = [f"doc:{i % 7}" for i in range(70)]
    first = batches(pids, np.random.default_rng(1), size=32)
    again = batches(pids, np.random.default_rng(1), size=32)
    assert first == again
    assert sorted(i for b in first for i in b) == list(range(70))
    assert [len(b) for b in first] == [32, 32, 6]
