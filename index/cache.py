"""Vectors of fixed texts (exemplar messages, out-of-scope questions), cached.

The texts are embedded once, in one batch, and cached per embedder and text: in memory
(rebuilding a screener or retriever costs nothing) and, when a cache folder is given, on
disk as ``exemplars-<key>.npy`` (a later process skips the model work; a damaged or
mismatched file is ignored and rewritten)."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

import numpy as np

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


def _digest(embedder: Embedder, texts: list[str]) -> str:
    return hashlib.sha256("\x1f".join([embedder.embedder_id, *texts]).encode("utf-8")).hexdigest()


def _path(cache_dir: Path, digest: str) -> Path:
    return cache_dir / f"exemplars-{digest[:24]}.npy"


def is_cached(embedder: Embedder, texts: list[str], cache_dir: Path | None = None) -> bool:
    """True when :func:`embed_examples` would find the vectors without the model: in
    memory, or a file for them in ``cache_dir`` (not read here, so a damaged file still
    counts)."""
    digest = _digest(embedder, texts)
    with _CACHE_LOCK:
        if (embedder.embedder_id, digest) in _CACHE:
            return True
    return cache_dir is not None and _path(cache_dir, digest).is_file()


def embed_examples(embedder: Embedder, texts: list[str], cache_dir: Path | None = None) -> np.ndarray:
    """The examples' vectors, from the memory or disk cache when they match."""
    digest = _digest(embedder, texts)
    key = (embedder.embedder_id, digest)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    path = _path(cache_dir, digest) if cache_dir is not None else None
    matrix = _load(path, len(texts), embedder.dim) if path is not None and path.is_file() else None
    if matrix is None:
        matrix = np.asarray(embedder.encode(texts), dtype=np.float32)
        if path is not None:
            _save(path, matrix)
    with _CACHE_LOCK:
        _CACHE[key] = matrix
    return matrix
