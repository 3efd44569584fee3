"""The character n-gram classifier (issue 13): its n-grams, its fit, its files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.screening.char_training import fit_char_model, left_out_log_probabilities, write_char_model
from bot.screening.chars import CHARS_FILE, CHARS_MANIFEST, CharModelError, char_ngrams, load_char_model

CLASSES = ("ordinary", "conflict-of-interest")


def test_each_word_gives_its_padded_two_to_five_letter_pieces() -> None:
    grams = list(char_ngrams("pin ok"))
    assert grams[:4] == [" p", "pi", "in", "n "]
    assert " pin " in grams and " pin" in grams and "pin " in grams
    assert " ok " in grams and "pi o" not in grams  # pieces never cross a word boundary
    assert list(char_ngrams("")) == []


def _toy() -> tuple[list[str], np.ndarray, list[str]]:
    risky = ["the rep is sponsoring my trip", "sponsored post, no ad tag", "got paid by the rep, not declaring it"]
    plain = ["rota swap on friday", "coffee run anyone", "declared the rep lunch on the register"]
    texts = [f"{t} {i}" for i in range(4) for t in risky + plain]
    y = np.array([1, 1, 1, 0, 0, 0] * 4)
    return texts, y, [f"w{i}" for i in range(4) for _ in range(6)]


def test_the_fitted_model_reads_the_risk_in_the_letters_and_survives_a_round_trip(tmp_path: Path) -> None:
    texts, y, groups = _toy()
    model = fit_char_model(texts, y, CLASSES)
    log_p = model.log_probabilities(["sponsoring a trip, not telling anyone", "rota on friday"])
    assert log_p.shape == (2, 2) and np.allclose(np.exp(log_p).sum(axis=1), 1.0)
    assert log_p[0, 1] > log_p[0, 0] and log_p[1, 0] > log_p[1, 1]
    left_out = left_out_log_probabilities(texts, y, groups, CLASSES)
    assert (left_out[y == 1, 1] > left_out[y == 1, 0]).mean() > 0.7
    write_char_model(model, tmp_path, "digest")
    again = load_char_model(tmp_path)
    assert again is not None
    assert np.allclose(again.log_probabilities(texts), model.log_probabilities(texts), atol=1e-4)


def test_a_damaged_or_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    assert load_char_model(tmp_path) is None
    texts, y, _ = _toy()
    write_char_model(fit_char_model(texts, y, CLASSES), tmp_path, "digest")
    manifest = json.loads((tmp_path / CHARS_MANIFEST).read_text(encoding="utf-8"))
    (tmp_path / CHARS_MANIFEST).write_text(json.dumps({**manifest, "sha256": "0" * 64}), encoding="utf-8")
    with pytest.raises(CharModelError, match=CHARS_FILE):
        load_char_model(tmp_path)
    (tmp_path / CHARS_FILE).unlink()
    with pytest.raises(CharModelError, match="missing"):
        load_char_model(tmp_path)
