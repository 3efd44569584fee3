"""Whose guidance a question sounds like, when it names no profession (issue 14, item 3).

Many staff do not say "I'm a nurse"; they write "the baby I delivered", "my crewmate in
the back of the ambulance" or "one of my band 5s". A multinomial logistic regression over
the question's vector (the one answering already computes) estimates which profession's
guidance the question reads like: ``doctors``, ``nurses`` or ``ahp``. It is trained by
:mod:`bot.voice_training` (``make train-voice``) on the corpus's own asks, each labelled
with its document's audience (the asks were written in the voices of each document's
readers; ``guidance_corpus/questions/README.md``). No evaluation set is read.

A guess is used only at or above its class's ``threshold``, a probability chosen out of
fold (folds grouped by paragraph) where the guesses for that class are right at least
:data:`bot.voice_training.TARGET_PRECISION` of the time; below it the configured default
audience stands. The weights live in ``guidance_corpus/questions/voice.json`` with a
SHA-256 over the content; :func:`load_voice` refuses a file whose checksum does not
match, and :func:`load_voice_for` returns the model only for the embedder family it was
trained with.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import GmcbotError
from guidance_corpus import QUESTIONS_DIR
from index.embedders import model_family

VOICE_FILE = QUESTIONS_DIR / "voice.json"


class VoiceFileError(GmcbotError):
    """The voice model's file is damaged or does not match its checksum."""


def digest(payload: dict[str, Any]) -> str:
    """SHA-256 over a payload's content (its own ``sha256`` key left out)."""
    body = {k: v for k, v in payload.items() if k != "sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class VoiceModel:
    """``weights`` is ``(dim, len(classes))``; ``thresholds[c]`` the probability from
    which class ``c`` is used; ``sha256`` the saved file's checksum ("" when not loaded
    from one)."""

    embedder: str
    classes: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray
    thresholds: dict[str, float]
    sha256: str = ""

    def probabilities(self, vector: np.ndarray) -> np.ndarray:
        z = vector.astype(np.float64) @ self.weights + self.bias
        e = np.exp(z - z.max())
        return np.asarray(e / e.sum())

    def guess(self, vector: np.ndarray) -> str | None:
        """The audience the question reads like, or ``None`` when no class reaches its
        threshold."""
        p = self.probabilities(vector)
        best = int(p.argmax())
        cls = self.classes[best]
        return cls if p[best] >= self.thresholds.get(cls, 1.1) else None


def load_voice(path: Path = VOICE_FILE) -> VoiceModel | None:
    """The committed model (``None`` when the file is absent); raises
    :class:`VoiceFileError` when it is damaged or its checksum does not match."""
    if not path.is_file():
        return None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("sha256") != digest(payload):
            raise VoiceFileError(f"{path}: checksum does not match its content (retrain: make train-voice)")
        return VoiceModel(
            embedder=str(payload["embedder"]),
            classes=tuple(payload["classes"]),
            weights=np.asarray(payload["weights"], dtype=np.float64),
            bias=np.asarray(payload["bias"], dtype=np.float64),
            thresholds={str(k): float(v) for k, v in payload["thresholds"].items()},
            sha256=str(payload["sha256"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise VoiceFileError(f"{path}: not a voice model file ({exc})") from None


def load_voice_for(embedder_id: str, path: Path = VOICE_FILE) -> VoiceModel | None:
    """The committed model if it was trained with this embedder's model family."""
    model = load_voice(path)
    if model is None or model.embedder != model_family(embedder_id):
        return None
    return model
