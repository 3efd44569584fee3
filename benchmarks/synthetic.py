"""Synthetic corpora for the scale benchmark, made from the real corpus's MiniLM vectors
without calling the model per synthetic paragraph.

Method (one synthetic paragraph; vectorised over all of them):

1. Pick two or three real paragraphs as sources and a sentence count drawn from the real
   corpus's distribution of sentence views per paragraph (at least one).
2. Recombine: each sentence is a sentence view of one of the sources, chosen at random,
   perturbed by Gaussian noise scaled so that its cosine to the original is about
   ``PERTURB_COS`` (a paraphrase, not a copy).
3. The ``base`` view (the passage) is the normalised mean of its sentences, perturbed the
   same way; mean pooling makes a passage's embedding close to the mean of its parts,
   and :func:`check_against_model` measures how close on a sample.
4. The ``full`` view (passage with document title) is the base view moved by the first
   source's own full-minus-base offset (its title), perturbed again.

So a synthetic paragraph has the real index's row layout (full, base, one row per
sentence), about as many rows per paragraph as the real corpus, and vectors that live
where MiniLM puts guidance text, with realistic near-duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PERTURB_COS = 0.9
SEED = 20_240_601


@dataclass(frozen=True)
class RealViews:
    """The real index's rows: unit vectors, owning paragraph, kind (0 full, 1 base,
    2 sentence) and text."""

    vectors: np.ndarray
    owners: np.ndarray
    kinds: np.ndarray
    texts: list[str]


@dataclass(frozen=True)
class SyntheticCorpus:
    """Rows of a synthetic index (``paragraphs`` full rows, then as many base rows, then
    the sentence rows). ``owners[row]`` is the synthetic paragraph; ``sentence_sources``
    the real row each sentence row was made from and ``sentence_owner`` its paragraph."""

    vectors: np.ndarray
    owners: np.ndarray
    paragraphs: int
    sentence_sources: np.ndarray
    sentence_owner: np.ndarray


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32)


def perturb(rng: np.random.Generator, x: np.ndarray, cos: float = PERTURB_COS) -> np.ndarray:
    """Unit vectors at cosine about ``cos`` to the unit rows of ``x``."""
    sigma = float(np.sqrt(1.0 / cos**2 - 1.0))
    noise = rng.standard_normal(x.shape, dtype=np.float32) * np.float32(sigma / np.sqrt(x.shape[1]))
    return _unit(x + noise)


def synthesize(real: RealViews, paragraphs: int, seed: int = SEED) -> SyntheticCorpus:
    """A synthetic corpus of ``paragraphs`` paragraphs (see the module docstring)."""
    rng = np.random.default_rng(seed + paragraphs)
    n_real = int(real.owners.max()) + 1
    pools = [np.flatnonzero((real.owners == p) & (real.kinds == 2)) for p in range(n_real)]
    base_row = np.array([np.flatnonzero((real.owners == p) & (real.kinds == 1))[0] for p in range(n_real)])
    full_row = np.array([np.flatnonzero((real.owners == p) & (real.kinds == 0))[0] for p in range(n_real)])
    pools = [pool if len(pool) else np.array([base_row[p]]) for p, pool in enumerate(pools)]
    counts = np.array([len(p) for p in pools])
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pool_rows = np.concatenate(pools)
    real_sentences = np.bincount(real.owners[real.kinds == 2], minlength=n_real)

    m = np.maximum(1, real_sentences[rng.integers(0, n_real, size=paragraphs)])
    sources = rng.integers(0, n_real, size=(paragraphs, 3))
    n_sources = rng.integers(2, 4, size=paragraphs)
    owner = np.repeat(np.arange(paragraphs), m)
    which = rng.integers(0, n_sources[owner])
    src = sources[owner, which]
    picked = pool_rows[offsets[src] + (rng.random(len(src)) * counts[src]).astype(np.int64)]
    sentences = perturb(rng, real.vectors[picked])
    starts = np.concatenate([[0], np.cumsum(m)[:-1]])
    base = perturb(rng, _unit(np.add.reduceat(sentences, starts, axis=0)))
    title = real.vectors[full_row[sources[:, 0]]] - real.vectors[base_row[sources[:, 0]]]
    full = perturb(rng, _unit(base + title))
    vectors = np.vstack([full, base, sentences])
    owners = np.concatenate([np.arange(paragraphs), np.arange(paragraphs), owner])
    return SyntheticCorpus(vectors, owners, paragraphs, picked, owner)


def queries(rng_seed: int, question_vectors: np.ndarray, n: int) -> np.ndarray:
    """``n`` query vectors: the development questions' vectors, cycled and perturbed."""
    rng = np.random.default_rng(rng_seed)
    rows = question_vectors[np.arange(n) % len(question_vectors)]
    return perturb(rng, rows)


def recombined_texts(real: RealViews, corpus: SyntheticCorpus, sample: int) -> list[str]:
    """The text each of the first ``sample`` synthetic paragraphs stands for: its source
    sentences joined."""
    texts = []
    for p in range(min(sample, corpus.paragraphs)):
        rows = corpus.sentence_sources[corpus.sentence_owner == p]
        texts.append(" ".join(real.texts[r] for r in rows))
    return texts


def check_against_model(real: RealViews, corpus: SyntheticCorpus, encode: object, sample: int = 64) -> dict[str, float]:
    """Mean cosine between the model's embedding of a recombined text and (a) the
    noise-free mean of its source sentences' vectors, (b) the synthetic ``base`` vector,
    and, for scale, (c) another paragraph's synthetic ``base`` vector (mismatched pairs)."""
    texts = recombined_texts(real, corpus, sample)
    model = np.asarray(encode(texts), dtype=np.float32)  # type: ignore[operator]
    n = len(texts)
    clean = _unit(
        np.stack([real.vectors[corpus.sentence_sources[corpus.sentence_owner == p]].mean(axis=0) for p in range(n)])
    )
    base = corpus.vectors[corpus.paragraphs : corpus.paragraphs + n]
    return {
        "sample": float(n),
        "cos_mean_of_sentences": float(np.mean(np.sum(model * clean, axis=1))),
        "cos_synthetic_base": float(np.mean(np.sum(model * base, axis=1))),
        "cos_mismatched": float(np.mean(np.sum(model * np.roll(base, 1, axis=0), axis=1))),
    }
