"""The voice model (bot/voice.py): whose guidance a question reads like."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.audience import detect_audience
from bot.corpus import load_corpus
from bot.query import expand_for_search, normalise_question
from bot.voice import VOICE_FILE, VoiceFileError, VoiceModel, load_voice, load_voice_for
from bot.voice_training import CLASSES, blind_written_questions, examples, thresholds, train
from guidance_corpus import ANSWER_ENCODER_DIR
from index.delta import load_delta
from index.embedders import MINILM_WEIGHTS_SHA256


def _model(thresholds: dict[str, float]) -> VoiceModel:
    return VoiceModel("m", ("doctors", "nurses"), np.eye(2), np.zeros(2), thresholds)


def test_a_guess_is_used_only_from_its_class_threshold() -> None:
    model = _model({"doctors": 0.5, "nurses": 0.7})
    sure, unsure = np.array([0.0, 2.0]), np.array([0.0, 0.5])
    assert model.guess(sure) == "nurses"  # p = 0.88
    assert model.guess(unsure) is None  # p = 0.62, below 0.7


def test_a_named_profession_beats_the_guess_and_the_guess_beats_the_default() -> None:
    assert detect_audience("I'm a paramedic, can I post this?", "doctors", guess="nurses") == "ahp"
    assert detect_audience("can I post the baby I delivered?", "doctors", guess="nurses") == "nurses"
    assert detect_audience("can I post this?", "doctors", guess=None) == "doctors"


def test_the_committed_model_loads_and_belongs_to_minilm() -> None:
    model = load_voice()
    assert model is not None and model.classes == CLASSES
    tuned = load_delta(ANSWER_ENCODER_DIR, MINILM_WEIGHTS_SHA256)
    assert tuned is not None
    assert load_voice_for(f"onnx-fp32/all-MiniLM-L6-v2@gt-0.1.0~{tuned.tag}#abc.alone") is not None
    assert load_voice_for("onnx-fp32/all-MiniLM-L6-v2@gt-0.1.0#abc.alone") is None  # answering's tuning only
    assert load_voice_for("hashing-v1-512") is None


def test_a_changed_weight_fails_the_checksum(tmp_path: Path) -> None:
    payload = json.loads(VOICE_FILE.read_text(encoding="utf-8"))
    payload["bias"][0] += 1.0
    bad = tmp_path / "voice.json"
    bad.write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(VoiceFileError, match="checksum"):
        load_voice(bad)


def test_training_examples_are_the_asks_of_single_audience_documents() -> None:
    texts, labels, groups = examples(load_corpus())
    assert len(texts) == len(labels) == len(groups) > 1000
    assert not any(g.startswith("nhse-messaging:") for g in groups)  # written for everyone
    assert set(labels.tolist()) == {0, 1, 2}


def test_blind_written_questions_are_not_taken_as_a_documents_voice() -> None:
    corpus = load_corpus()
    blind = blind_written_questions()
    assert len(blind) > 1000
    texts, _, _ = examples(corpus, blind=frozenset())
    kept, _, _ = examples(corpus)
    some = next(iter(sorted(blind & {a for p in corpus.paragraphs for a in p.all_asks})))
    assert len(kept) < len(texts)
    assert expand_for_search(normalise_question(some)[0]) not in kept


def test_thresholds_reach_the_target_precision_out_of_fold() -> None:
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.3, 0.6, 0.1], [0.35, 0.55, 0.1]])
    y = np.array([0, 1, 1, 0])
    cuts = thresholds(probs, y)
    assert cuts["nurses"] == 0.6  # from 0.6 both nurse guesses are right; at 0.55 one is wrong
    assert cuts["ahp"] == 1.1  # never guessed: never used


def test_training_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    y = np.repeat(np.arange(3), 20)
    x[np.arange(60), y] += 2.0
    groups = [f"p{i // 3}" for i in range(60)]
    assert train(x, y, groups, "m")["sha256"] == train(x, y, groups, "m")["sha256"]
