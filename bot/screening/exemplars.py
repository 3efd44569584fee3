"""Exemplar evidence: how close a message is to each set of example messages.

The examples are embedded once, in one batch, when the index is built, and cached per
embedder and example text: in memory (rebuilding a screener costs nothing) and, when a
cache folder is given, on disk as ``exemplars-<key>.npy`` (a later process skips the
model work; a damaged or mismatched file is ignored and rewritten). For a batch of message
vectors, :meth:`ExemplarIndex.evidence` compares each message with every set: a set's
similarity is the mean of its ``k`` nearest examples, and the evidence for a risky set is
its margin over the closest ordinary set."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.screening.data import ExemplarSet, Policy
from bot.screening.evidence import Evidence
from index.embedders import Embedder

log = logging.getLogger(__name__)
_CACHE: dict[tuple[str, str], np.ndarray] = {}
_CACHE_LOCK = threading.Lock()


def _load(path: Path, rows: int, dim: int) -> np.ndarray | None:
    try:
        matrix = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if matrix.shape != (rows, dim) or matrix.dtype != np.float32 or not np.isfinite(matrix).all():
        return None
    return matrix


def _save(path: Path, matrix: np.ndarray) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            np.save(fh, matrix, allow_pickle=False)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only data folder only costs speed
        log.warning("could not cache exemplar vectors in %s: %s", path.parent, exc.strerror)


def embed_examples(embedder: Embedder, texts: list[str], cache_dir: Path | None = None) -> np.ndarray:
    """The examples' vectors, from the memory or disk cache when they match."""
    digest = hashlib.sha256("\x1f".join([embedder.embedder_id, *texts]).encode("utf-8")).hexdigest()
    key = (embedder.embedder_id, digest)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    path = cache_dir / f"exemplars-{digest[:24]}.npy" if cache_dir is not None else None
    matrix = _load(path, len(texts), embedder.dim) if path is not None and path.is_file() else None
    if matrix is None:
        matrix = np.asarray(embedder.encode(texts), dtype=np.float32)
        if path is not None:
            _save(path, matrix)
    with _CACHE_LOCK:
        _CACHE[key] = matrix
    return matrix


class ExemplarIndex:
    def __init__(self, sets: Sequence[ExemplarSet], embedder: Embedder, policy: Policy,
                 cache_dir: Path | None = None) -> None:
        self.sets = tuple(sets)
        self.policy = policy
        texts = [e for s in self.sets for e in s.examples]
        self.matrix = embed_examples(embedder, texts, cache_dir)
        bounds: list[tuple[int, int]] = []
        start = 0
        for s in self.sets:
            bounds.append((start, start + len(s.examples)))
            start += len(s.examples)
        self.bounds = tuple(bounds)
        self.ordinary = np.array([s.category is None for s in self.sets])

    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        """(messages, sets): mean similarity to each set's ``k`` nearest examples."""
        if len(vectors) == 0:
            return np.zeros((0, len(self.sets)), dtype=np.float32)
        sims = vectors @ self.matrix.T
        out = np.empty((len(vectors), len(self.sets)), dtype=np.float32)
        for j, (a, b) in enumerate(self.bounds):
            k = min(self.policy.knn_k, b - a)
            part = np.partition(sims[:, a:b], b - a - k, axis=1)[:, b - a - k:]
            out[:, j] = part.mean(axis=1)
        return out

    def evidence(self, row: np.ndarray) -> list[Evidence]:
        """Exemplar evidence for one message's row of :meth:`similarities` (best set per
        category, only where its margin over the ordinary sets passes the floor)."""
        if not row.any():
            return []
        ordinary = float(row[self.ordinary].max())
        best: dict[object, Evidence] = {}
        p = self.policy
        for j, s in enumerate(self.sets):
            if s.category is None:
                continue
            margin = float(row[j]) - ordinary
            if margin <= p.knn_floor or float(row[j]) < p.knn_min_similarity:
                continue
            weight = p.knn_scale * (margin - p.knn_floor)
            current = best.get(s.category)
            if current is None or weight > current.weight:
                best[s.category] = Evidence(s.category, weight, s.cites, s.reason, f"exemplars:{s.id}")
        return list(best.values())

    def margins(self, row: np.ndarray) -> dict[str, float]:
        """Each risky set's margin over the ordinary sets (for calibration reports)."""
        ordinary = float(row[self.ordinary].max()) if row.any() else 0.0
        return {s.id: float(row[j]) - ordinary for j, s in enumerate(self.sets) if s.category is not None}
