"""Exemplar evidence: how close a message is to each set of example messages.

The examples are embedded once, in one batch, when the index is built, and cached per
embedder and example text: in memory (rebuilding a screener costs nothing) and, when a
cache folder is given, on disk as ``exemplars-<key>.npy`` (a later process skips the
model work; a damaged or mismatched file is ignored and rewritten). For a batch of message
vectors, :meth:`ExemplarIndex.evidence` compares each message with every set: a set's
similarity is the mean of its ``k`` nearest examples, and the evidence for a risky set is
its margin over the closest ordinary set."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.screening.data import ExemplarSet, Policy
from bot.screening.evidence import Evidence
from bot.types import Category
from index.cache import embed_examples
from index.embedders import Embedder

log = logging.getLogger(__name__)


class ExemplarIndex:
    def __init__(
        self,
        sets: Sequence[ExemplarSet],
        embedder: Embedder | None,
        policy: Policy,
        cache_dir: Path | None = None,
        matrix: np.ndarray | None = None,
    ) -> None:
        """The examples are embedded with ``embedder``, or given as ``matrix`` (one unit
        row per example, sets in order: training passes vectors from its own encoders)."""
        self.sets = tuple(sets)
        self.policy = policy
        texts = [e for s in self.sets for e in s.examples]
        if matrix is None:
            if embedder is None:
                raise ValueError("ExemplarIndex needs an embedder or a matrix")
            matrix = embed_examples(embedder, texts, cache_dir)
        if len(matrix) != len(texts):
            raise ValueError(f"{len(matrix)} vectors for {len(texts)} examples")
        self.matrix = matrix
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
            part = np.partition(sims[:, a:b], b - a - k, axis=1)[:, b - a - k :]
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

    def nearest_set(self, row: np.ndarray, category: object) -> ExemplarSet | None:
        """The set of ``category`` most similar to the message (by ``row``)."""
        best: tuple[float, ExemplarSet] | None = None
        for j, s in enumerate(self.sets):
            if s.category == category and (best is None or float(row[j]) > best[0]):
                best = (float(row[j]), s)
        return best[1] if best else None

    def category_margins(self, row: np.ndarray) -> dict[Category, float]:
        """Per category: its nearest set's similarity minus the nearest ordinary set's
        (0 for a message with no text)."""
        if not row.any():
            return {}
        ordinary = float(row[self.ordinary].max())
        out: dict[Category, float] = {}
        for j, s in enumerate(self.sets):
            if s.category is not None:
                margin = float(row[j]) - ordinary
                out[s.category] = max(out.get(s.category, margin), margin)
        return out

    def margins(self, row: np.ndarray) -> dict[str, float]:
        """Each risky set's margin over the ordinary sets (for calibration reports)."""
        ordinary = float(row[self.ordinary].max()) if row.any() else 0.0
        return {s.id: float(row[j]) - ordinary for j, s in enumerate(self.sets) if s.category is not None}
