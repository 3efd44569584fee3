"""The nearest training messages: what staff messages most like this one were labelled.

The classifier (:mod:`.classifier`) draws one straight boundary per category through the
encoder's space; messages that sit in a pocket of the other side, such as a lapse already
fixed ("you left your card in the PC, I've locked it") among lapses, are where it errs.
The labels of the nearest training messages see such pockets. For each category,
:func:`neighbour_shares` gives the share of the ``k`` nearest training messages (by
cosine, each weighted by its similarity) labelled with it; the learned combiner
(:mod:`.combiner`) weighs that share beside the classifier's and the other evidence.

The training messages are the writers' (``guidance_corpus/screening/training/``), not
the exemplar sets. In training (:mod:`.training`) each message's neighbours are taken
from the other fold of writers under the encoder tuned on that fold, as a new message's
are taken from messages the encoder was tuned on. :class:`TrainingNeighbours` embeds the
messages once per embedder, cached on disk like the exemplars
(:func:`index.cache.embed_examples`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index.cache import embed_examples, is_cached
from index.embedders import Embedder

# How many nearest training messages vote: of 5, 10 and 20, the one whose combiner caught
# most risky training messages with each writer left out (at the same false alarms),
# chosen before any evaluation set was screened with the feature (guidance_corpus/screening/README.md).
NEIGHBOURS = 5
# Rows of training vectors compared at a time (bounds the similarity matrix's memory).
CHUNK = 256


def neighbour_shares(
    vectors: np.ndarray, matrix: np.ndarray, labels: np.ndarray, classes: int, k: int = NEIGHBOURS
) -> np.ndarray:
    """``(len(vectors), classes)``: for each unit vector, the similarity-weighted share of
    each class (``labels`` are class numbers of ``matrix``'s rows) among its ``k`` nearest
    rows of ``matrix``. A zero vector (no text), or no rows, gives all zeros."""
    out = np.zeros((len(vectors), classes), dtype=np.float64)
    if not len(vectors) or not len(matrix):
        return out
    k = min(k, len(matrix))
    for start in range(0, len(vectors), CHUNK):
        block = np.asarray(vectors[start : start + CHUNK], dtype=np.float32)
        sims = block @ matrix.T
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        weights = np.clip(np.take_along_axis(sims, nearest, axis=1), 0.0, None).astype(np.float64)
        votes = np.zeros((len(block), classes), dtype=np.float64)
        np.add.at(votes, (np.repeat(np.arange(len(block)), k), labels[nearest].ravel()), weights.ravel())
        total = votes.sum(axis=1, keepdims=True)
        out[start : start + len(block)] = np.divide(votes, total, out=np.zeros_like(votes), where=total > 0)
    return out


class TrainingNeighbours:
    """The writers' training messages under one embedder, and their class numbers."""

    def __init__(
        self,
        texts: Sequence[str],
        labels: Sequence[int],
        classes: int,
        embedder: Embedder,
        cache_dir: Path | None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        """``texts`` are the messages as the model reads them (``prepare(text).model``);
        ``notify`` is told before they are embedded, which happens once per model and data
        folder (tens of seconds for the shipped messages)."""
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} training messages for {len(labels)} labels")
        self.classes = classes
        self.labels = np.asarray(labels, dtype=np.int64)
        if notify is not None and len(texts) and not is_cached(embedder, list(texts), cache_dir):
            notify(f"Embedding screening's {len(texts):,} training messages (once; about 30 s)")
        self.matrix = (
            embed_examples(embedder, list(texts), cache_dir)
            if len(texts)
            else np.zeros((0, embedder.dim), dtype=np.float32)
        )

    def shares(self, vectors: np.ndarray) -> np.ndarray:
        """:func:`neighbour_shares` of ``vectors`` among the training messages."""
        return neighbour_shares(vectors, self.matrix, self.labels, self.classes)
