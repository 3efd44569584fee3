"""FAISS agrees with the brute-force oracle; the index folder is reused, rebuilt when
the corpus or model changes, and never used when corrupt."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from index.embedders import HashingEmbedder
from index.persist import MANIFEST, VECTORS, open_or_build
from index.store import FaissIndex, NumpyIndex

TEXTS = [
    "patients on social media",
    "friend request from a patient",
    "sharing passwords",
    "anonymous accounts",
    "conflicts of interest and sponsorship",
]
IDS = [f"doc:{i}" for i in range(len(TEXTS))]


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=60), st.integers(min_value=1, max_value=10), st.integers(0, 2**31))
def test_faiss_matches_numpy_oracle(n: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    query = vectors[:1] + 0.01
    exact, oracle = FaissIndex(16), NumpyIndex(16)
    exact.add(vectors)
    oracle.add(vectors)
    fs, fr = exact.search(query, k)
    ns, nr = oracle.search(query, k)
    assert np.allclose(fs[np.isfinite(fs)], ns[np.isfinite(ns)], atol=1e-5)
    assert fr[0][0] == nr[0][0]
    assert (fr[0] == -1).sum() == max(0, k - n)


def test_hashing_embedder_contract() -> None:
    emb = HashingEmbedder(64)
    out = emb.encode(["a b c", "a b c", ""])
    assert out.shape == (3, 64) and out.dtype == np.float32
    assert np.allclose(out[0], out[1]) and np.allclose(np.linalg.norm(out[0]), 1.0)
    assert not out[2].any()


def test_index_is_built_once_then_reused(tmp_path: Path) -> None:
    emb = HashingEmbedder()
    notes: list[str] = []
    first = open_or_build(tmp_path / "ix", TEXTS, IDS, emb, "hash1", progress=False, notify=notes.append)
    assert first.rebuilt and "Building" in notes[0]
    manifest = json.loads((tmp_path / "ix" / MANIFEST).read_text())
    for key in ("format_version", "embedder_id", "dim", "count", "corpus_hash", "package_version"):
        assert key in manifest
    assert manifest["count"] == len(TEXTS) and manifest["dim"] == emb.dim
    second = open_or_build(tmp_path / "ix", TEXTS, IDS, emb, "hash1", progress=False, notify=notes.append)
    assert not second.rebuilt and len(notes) == 1


def test_changed_corpus_or_model_rebuilds_and_says_why(tmp_path: Path) -> None:
    notes: list[str] = []
    open_or_build(tmp_path / "ix", TEXTS, IDS, HashingEmbedder(), "hash1", progress=False)
    again = open_or_build(tmp_path / "ix", TEXTS, IDS, HashingEmbedder(), "hash2", progress=False, notify=notes.append)
    assert again.rebuilt and "corpus_hash changed" in notes[-1]
    other = open_or_build(
        tmp_path / "ix", TEXTS, IDS, HashingEmbedder(128), "hash2", progress=False, notify=notes.append
    )
    assert other.rebuilt and "embedder_id changed" in notes[-1]


def test_corrupt_vector_file_is_never_used(tmp_path: Path) -> None:
    open_or_build(tmp_path / "ix", TEXTS, IDS, HashingEmbedder(), "h", progress=False)
    vec = tmp_path / "ix" / VECTORS
    vec.write_bytes(vec.read_bytes()[:100] + b"garbage")
    notes: list[str] = []
    loaded = open_or_build(tmp_path / "ix", TEXTS, IDS, HashingEmbedder(), "h", progress=False, notify=notes.append)
    assert loaded.rebuilt and "corrupt" in notes[-1]
    assert loaded.index.count == len(TEXTS)


def test_unreadable_manifest_is_rebuilt(tmp_path: Path) -> None:
    open_or_build(tmp_path / "ix", TEXTS, IDS, HashingEmbedder(), "h", progress=False)
    (tmp_path / "ix" / MANIFEST).write_text("{not json")
    loaded = open_or_build(tmp_path / "ix", TEXTS, IDS, HashingEmbedder(), "h", progress=False)
    assert loaded.rebuilt and "manifest unreadable" in loaded.reason


def test_large_index_switches_to_hnsw() -> None:
    from index.store import APPROXIMATE_FROM

    assert not FaissIndex.for_size(8, APPROXIMATE_FROM - 1).approximate
    assert FaissIndex.for_size(8, APPROXIMATE_FROM).approximate


def test_hnsw_search_deeper_than_ef_search_still_finds_the_exact_neighbours() -> None:
    """The bot reads APPROX_ROWS rows from an approximate index, far more than HNSW's
    efSearch: the search must widen its beam to k (FAISS does not do that by itself)."""
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(4000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = vectors[:20] + 0.05 * rng.normal(size=(20, 32)).astype(np.float32)
    exact, approx = FaissIndex(32), FaissIndex(32, approximate=True)
    exact.add(vectors)
    approx.add(vectors)
    k = 400
    _, truth = exact.search(queries, k)
    _, found = approx.search(queries, k)
    assert (found >= 0).all()
    recall = np.mean([len(set(f) & set(t)) / k for f, t in zip(found.tolist(), truth.tolist(), strict=True)])
    assert recall >= 0.9
