"""Fit the character n-gram classifier (:mod:`bot.screening.chars`) on the training messages.

- The vocabulary: every n-gram found in at least :data:`MIN_DF` training messages; its
  inverse document frequency ``log((1 + N) / (1 + df)) + 1``.
- The weights: multinomial logistic regression on the TF-IDF rows (balanced class
  weights, L2 penalty :data:`L2` on the mean loss, L-BFGS from zeros: deterministic).
- :func:`left_out_log_probabilities` gives each message the log probabilities of a model
  fitted without its writer (vocabulary included), for the combiner to learn from.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from bot.screening.chars import CHARS_MANIFEST, MAX_N, MIN_N, CharModel, char_ngrams, ngram_counts, tfidf_values
from index.checked_files import sha256_of

MIN_DF = 3
L2 = 2e-5


def _matrix(texts: Sequence[str], column: dict[str, int], idf: np.ndarray) -> sparse.csr_matrix:
    cols, counts = ngram_counts(texts, column)
    indptr = np.cumsum([0] + [len(c) for c in cols])
    data = np.concatenate([tfidf_values(n, idf[c]) for c, n in zip(cols, counts, strict=True)] or [np.zeros(0)])
    indices = np.concatenate(cols or [np.zeros(0, dtype=np.int64)])
    return sparse.csr_matrix((data, indices, indptr), shape=(len(texts), len(idf)))


def fit_char_model(folded: Sequence[str], y: np.ndarray, classes: Sequence[str], l2: float = L2) -> CharModel:
    """A model from folded texts and class indices (``classes[0]`` is ordinary)."""
    from scipy.optimize import minimize

    df = Counter(g for text in folded for g in set(char_ngrams(text)))
    vocabulary = tuple(sorted(g for g, n in df.items() if n >= MIN_DF))
    column = {g: i for i, g in enumerate(vocabulary)}
    n = len(folded)
    idf = np.log((1.0 + n) / (1.0 + np.array([df[g] for g in vocabulary], dtype=np.float64))) + 1.0
    x = _matrix(folded, column, idf)
    k = len(classes)
    counts = np.bincount(y, minlength=k)
    sample = (n / (k * np.maximum(counts, 1)))[y]
    sample = sample / sample.sum()
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    d = len(vocabulary)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[: d * k].reshape(d, k), theta[d * k :]
        logits = np.asarray(x @ w) + b
        logits -= logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        value = -float((sample * (log_p * onehot).sum(axis=1)).sum()) + l2 * float((w * w).sum())
        grad = (np.exp(log_p) - onehot) * sample[:, None]
        gw = np.asarray(x.T @ grad) + 2 * l2 * w
        return value, np.concatenate([gw.ravel(), grad.sum(axis=0)])

    result = minimize(loss, np.zeros(d * k + k), jac=True, method="L-BFGS-B", options={"maxiter": 3000})
    weights = result.x[: d * k].reshape(d, k)
    return CharModel(tuple(classes), vocabulary, idf, weights, result.x[d * k :])


def left_out_log_probabilities(
    folded: Sequence[str], y: np.ndarray, groups: Sequence[str], classes: Sequence[str]
) -> np.ndarray:
    """Each text's log probabilities from a model fitted without its group (writer)."""
    groups_ = np.asarray(groups)
    out = np.zeros((len(folded), len(classes)))
    for g in sorted(set(groups_.tolist())):
        held = np.flatnonzero(groups_ == g)
        kept = np.flatnonzero(groups_ != g)
        model = fit_char_model([folded[int(i)] for i in kept], y[kept], classes)
        out[held] = model.log_probabilities([folded[int(i)] for i in held])
    return out


def write_char_model(model: CharModel, folder: Path, data_sha256: str) -> dict[str, object]:
    """Save ``model`` as ``chars.npz`` with its manifest ``chars.json`` (its SHA-256 and how it
    was made); returns the manifest."""
    path = model.save(folder)
    manifest: dict[str, object] = {
        "classes": list(model.classes),
        "ngrams": [MIN_N, MAX_N],
        "min_df": MIN_DF,
        "l2": L2,
        "vocabulary": len(model.vocabulary),
        "data_sha256": data_sha256,
        "made_by": "make train (python -m bot.screening.training)",
        "sha256": sha256_of(path),
    }
    (folder / CHARS_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
