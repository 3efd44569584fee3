"""The learned conduct classifier: a softmax layer over message embeddings.

It is the main detector for the seven risk categories (identifiers and the lexical rules
stay as precise backstops). It reads the same vector that screening already computes for
a message, so it costs one matrix product per batch.

The trained weights live in ``guidance_corpus/screening/classifier/`` as ``model.npz``
with a manifest ``model.json`` (classes, per-category thresholds, the embedder the
weights belong to, the training data's digest, the seed, and the SHA-256 of
``model.npz``). :func:`load_classifier` refuses a file whose checksum does not match.
Weights are only used with the model they were trained on, on any backend (PyTorch at
either precision, or the ONNX graphs made from the same weights); with another embedder
(the hashing one in fast tests) screening uses the rules and exemplar sets alone. ``make train`` (:mod:`bot.screening.training`) rebuilds the files reproducibly.

Per-category thresholds are probability levels calibrated out of fold on the training
data (:mod:`bot.screening.training`); :meth:`ConductClassifier.evidence` maps a
probability at the threshold to evidence exactly at the flag level, and a certain one to
the ``high`` level, so a channel's sensitivity, which moves the flag level, moves every
category's threshold in the same place (``bot/screening/policy.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.errors import GmcbotError
from bot.screening.data import Policy
from bot.screening.evidence import Evidence
from bot.screening.exemplars import ExemplarIndex
from bot.types import Category
from index.checked_files import read_checked
from index.embedders import model_family

MODEL_FILE = "model.npz"
MANIFEST_FILE = "model.json"
ORDINARY = "ordinary"


_WORD_RE = re.compile(r"[a-z0-9]+")
# Weight of the word features against the embedding (both are unit length).
WORD_SCALE = 0.7


def word_features(folded: str) -> list[str]:
    """Words and word pairs of a message's folded view (lower case, no apostrophes)."""
    words = _WORD_RE.findall(folded)
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]


class ClassifierFileError(GmcbotError):
    """The classifier's files are missing, damaged or do not match their manifest."""


@dataclass(frozen=True)
class ConductClassifier:
    """``classes[0]`` is ``ordinary``; the rest are categories. ``weights`` is
    ``(dim, len(classes))``; ``thresholds`` maps each category to the probability from
    which it counts as evidence at the flag level."""

    classes: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray
    thresholds: dict[str, float]
    embedder_id: str
    vocabulary: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_column", {w: i for i, w in enumerate(self.vocabulary)})

    def features(self, vectors: np.ndarray, folded: Sequence[str]) -> np.ndarray:
        """The embedding, then the message's known words and word pairs (a unit-length
        bag of words scaled by :data:`WORD_SCALE`)."""
        column: dict[str, int] = self.__dict__["_column"]
        words = np.zeros((len(folded), len(self.vocabulary)), dtype=np.float32)
        for i, text in enumerate(folded):
            cols = sorted({column[w] for w in word_features(text) if w in column})
            if cols:
                words[i, cols] = WORD_SCALE / np.sqrt(len(cols))
        return np.hstack([np.asarray(vectors, dtype=np.float32), words])

    def applies_to(self, embedder_id: str) -> bool:
        """True for an embedder of the model the weights were trained on (any backend:
        the ONNX graphs' vectors are within 0.01 cosine of PyTorch's)."""
        return model_family(embedder_id) == model_family(self.embedder_id)

    def probabilities(self, vectors: np.ndarray, folded: Sequence[str]) -> np.ndarray:
        """``(messages, classes)`` softmax probabilities for messages given by their
        vectors and folded texts."""
        if len(vectors) == 0:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        logits = self.features(vectors, folded) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)

    def strengths(self, probs: np.ndarray, flag_level: float, high_level: float) -> dict[Category, float]:
        """Evidence weight per category for one message's probabilities: ``flag_level``
        at the category's threshold, ``high_level`` at probability 1, linear between (and
        below the threshold, so a channel set to high sensitivity reaches a little lower).
        Categories far below their threshold are left out."""
        out: dict[Category, float] = {}
        for j, name in enumerate(self.classes):
            if name == ORDINARY:
                continue
            t = self.thresholds[name]
            weight = flag_level + (high_level - flag_level) * (float(probs[j]) - t) / max(1.0 - t, 1e-6)
            if weight > flag_level - 1.0:
                out[Category(name)] = weight
        return out


def classifier_evidence(
    classifier: ConductClassifier,
    probs: np.ndarray,
    row: np.ndarray,
    exemplars: ExemplarIndex,
    linked: bool,
    policy: Policy,
) -> list[Evidence]:
    """One piece of evidence per category the classifier finds likely (``probs``); its
    reason and citations come from the category's exemplar set nearest to the message
    (``row`` of similarities). ``patient-identifiable`` counts only when the message is about
    a patient (``linked``: ``patient_link`` words): staff are named all day, and names alone
    are the detectors' job."""
    out: list[Evidence] = []
    for category, weight in classifier.strengths(probs, policy.flag_threshold, policy.high_threshold).items():
        if category is Category.PATIENT_IDENTIFIABLE and not linked:
            continue
        best = exemplars.nearest_set(row, category)
        if best is not None:
            out.append(Evidence(category, weight, best.cites, best.reason, f"classifier:{best.id}"))
    return out


def load_classifier(folder: Path) -> ConductClassifier | None:
    """The classifier in ``folder``, or None when the folder holds none. A damaged file
    or one that does not match its manifest raises :class:`ClassifierFileError` naming it."""
    manifest_path = folder / MANIFEST_FILE
    model_path = folder / MODEL_FILE
    checked = read_checked(manifest_path, model_path, ClassifierFileError, "run `make train` to rebuild it")
    if checked is None:
        return None
    manifest, _ = checked
    try:
        with np.load(model_path, allow_pickle=False) as data:
            weights = np.asarray(data["weights"], dtype=np.float32)
            bias = np.asarray(data["bias"], dtype=np.float32)
            vocabulary = tuple(str(w) for w in data["vocabulary"])
    except (OSError, ValueError, KeyError) as exc:
        raise ClassifierFileError(f"{model_path}: cannot be read ({exc}); run `make train` to rebuild it") from None
    classes = tuple(manifest["classes"])
    if (
        classes[0] != ORDINARY
        or weights.shape[1] != len(classes)
        or bias.shape != (len(classes),)
        or weights.shape[0] <= len(vocabulary)
    ):
        raise ClassifierFileError(f"{model_path}: shape {weights.shape} does not fit classes {classes}")
    known = {c.value for c in Category}
    unknown = [c for c in classes[1:] if c not in known]
    if unknown:
        raise ClassifierFileError(f"{manifest_path}: unknown categories {unknown}")
    thresholds = {str(k): float(v) for k, v in manifest["thresholds"].items()}
    return ConductClassifier(classes, weights, bias, thresholds, str(manifest["embedder_id"]), vocabulary)
