"""Vector indexes: inner product over unit vectors (so scores are cosine similarity).

Contract (every implementation): ``add`` takes an (n, dim) float32 array; ``search``
returns ``(scores, rows)`` of shape (len(queries), k), best first, with row -1 and
score -inf padding when fewer than k vectors exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

# Below this many vectors exact search is fast enough; from it, HNSW. Measured by
# `make bench` (docs/benchmarks.md, scale section, 2 cores): the exact read the bot makes
# (every row) passes 10 ms, a third of the 30 ms warm-answer aim, at 16-33k vectors over
# five runs (3.4-6.9k paragraphs at ~4.8 vectors each), while HNSW reading
# bot.retrieval.APPROX_ROWS rows takes under 1 ms and keeps 0.97 of the 10 best
# paragraphs within reach at 10k paragraphs.
APPROXIMATE_FROM = 20_000


class VectorIndex(Protocol):
    dim: int

    @property
    def count(self) -> int: ...

    def add(self, vectors: np.ndarray) -> None: ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...


class NumpyIndex:
    """Brute-force oracle, used by tests to check the FAISS index."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._vectors = np.zeros((0, dim), dtype=np.float32)

    @property
    def count(self) -> int:
        return int(self._vectors.shape[0])

    def add(self, vectors: np.ndarray) -> None:
        self._vectors = np.vstack([self._vectors, np.asarray(vectors, dtype=np.float32)])

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.asarray(queries, dtype=np.float32)
        scores = q @ self._vectors.T
        n = scores.shape[1]
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(scores, order, axis=1)
        if n < k:
            pad = k - n
            order = np.hstack([order, np.full((q.shape[0], pad), -1)])
            top = np.hstack([top, np.full((q.shape[0], pad), -np.inf, dtype=np.float32)])
        return top.astype(np.float32), order.astype(np.int64)


class FaissIndex:
    """FAISS ``IndexFlatIP`` (exact) or ``IndexHNSWFlat`` (approximate) over unit vectors."""

    def __init__(self, dim: int, approximate: bool = False, index: object | None = None) -> None:
        import faiss

        self.dim = dim
        self.approximate = approximate
        if index is not None:
            self._index = index
        elif approximate:
            hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = 80
            hnsw.hnsw.efSearch = 64
            self._index = hnsw
        else:
            self._index = faiss.IndexFlatIP(dim)

    @classmethod
    def for_size(cls, dim: int, n: int) -> FaissIndex:
        """Exact search for small corpora, HNSW from ``APPROXIMATE_FROM`` vectors."""
        return cls(dim, approximate=n >= APPROXIMATE_FROM)

    @property
    def count(self) -> int:
        return int(self._index.ntotal)  # type: ignore[attr-defined]

    def add(self, vectors: np.ndarray) -> None:
        self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))  # type: ignore[attr-defined]

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.ascontiguousarray(queries, dtype=np.float32)
        hnsw = getattr(self._index, "hnsw", None)
        if hnsw is not None and k > hnsw.efSearch:
            # FAISS keeps efSearch candidates however large k is: widen the beam to k, or a
            # deep read (bot.retrieval.APPROX_ROWS) returns misses and -1 rows.
            import faiss

            params = faiss.SearchParametersHNSW(efSearch=k)  # type: ignore[attr-defined]
            scores, rows = self._index.search(q, k, params=params)  # type: ignore[attr-defined]
        else:
            scores, rows = self._index.search(q, k)  # type: ignore[attr-defined]
        scores = np.where(rows < 0, -np.inf, scores).astype(np.float32)
        return scores, rows.astype(np.int64)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))  # type: ignore[call-overload]

    @classmethod
    def load(cls, path: Path) -> FaissIndex:
        import faiss

        index = faiss.read_index(str(path))
        approximate = not isinstance(index, faiss.IndexFlat)
        return cls(int(index.d), approximate=approximate, index=index)
