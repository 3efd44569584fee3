"""The nearest training messages' labels (issue 13): the shares the combiner weighs."""

from __future__ import annotations

import numpy as np
import pytest

from bot.screening.neighbours import TrainingNeighbours, neighbour_shares
from index.embedders import HashingEmbedder


def _unit(rows: list[list[float]]) -> np.ndarray:
    m = np.asarray(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_shares_are_the_similarity_weighted_labels_of_the_nearest_rows() -> None:
    matrix = _unit([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]])
    labels = np.array([1, 1, 0, 2])
    shares = neighbour_shares(_unit([[1, 0.05], [0.05, 1]]), matrix, labels, classes=3, k=2)
    assert shares.shape == (2, 3)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert shares[0, 1] == pytest.approx(1.0)  # both nearest rows are class 1
    # The second's two nearest are classes 0 and 2, the nearer weighing a little more.
    assert shares[1, 1] == 0.0 and shares[1, 0] > shares[1, 2] > 0.4


def test_no_text_or_no_rows_give_zeros_and_k_is_capped() -> None:
    matrix = _unit([[1, 0], [0, 1]])
    zero = np.zeros((1, 2), dtype=np.float32)
    assert not neighbour_shares(zero, matrix, np.array([0, 1]), 2).any()
    assert not neighbour_shares(_unit([[1, 0]]), np.zeros((0, 2), np.float32), np.zeros(0, int), 2).any()
    np.testing.assert_allclose(neighbour_shares(_unit([[1, 0]]), matrix, np.array([0, 1]), 2, k=50).sum(), 1.0)


def test_large_batches_are_compared_in_chunks_alike() -> None:
    rng = np.random.default_rng(3)
    matrix = _unit(rng.normal(size=(50, 8)).tolist())
    labels = rng.integers(0, 4, 50)
    vectors = _unit(rng.normal(size=(600, 8)).tolist())
    whole = neighbour_shares(vectors, matrix, labels, 4)
    one_by_one = np.vstack([neighbour_shares(v[None], matrix, labels, 4) for v in vectors[:20]])
    np.testing.assert_allclose(whole[:20], one_by_one, rtol=1e-6)


def test_training_neighbours_embed_once_and_find_the_same_message(tmp_path) -> None:
    texts = ["send me your smartcard pin", "the rota for next week is up", "lovely card from a family"]
    near = TrainingNeighbours(texts, [3, 0, 0], classes=4, embedder=HashingEmbedder(), cache_dir=tmp_path)
    assert list(tmp_path.glob("exemplars-*.npy"))  # cached for the next start
    shares = near.shares(HashingEmbedder().encode(["send me your smartcard pin"]))
    assert shares[0].argmax() == 3
    # Only the first construction in a data folder embeds them, and says so beforehand.
    told: list[str] = []
    fresh = tmp_path / "fresh"
    TrainingNeighbours(texts[:2], [3, 0], classes=4, embedder=HashingEmbedder(), cache_dir=fresh, notify=told.append)
    TrainingNeighbours(texts[:2], [3, 0], classes=4, embedder=HashingEmbedder(), cache_dir=fresh, notify=told.append)
    assert told == ["Embedding screening's 2 training messages (once; about 30 s)"]
    with pytest.raises(ValueError):
        TrainingNeighbours(texts, [0], classes=4, embedder=HashingEmbedder(), cache_dir=None)
