"""A character n-gram classifier: the conduct categories from the letters of a message.

Each word of the message's folded view (lower case, apostrophes removed), with a space
either side, gives its substrings of :data:`MIN_N` to :data:`MAX_N` characters ("rep",
"sponsor", "passw", " pin "); those in the vocabulary are weighted TF-IDF (``1 + log``
count times the inverse document frequency, the vector scaled to unit length) and a
softmax layer gives a probability per class. It reads spelling, shorthand and word parts
("declar" in undeclared and declaration alike) that the sentence encoder blurs, and it
costs a few dictionary look-ups a message.

Its output is one of the learned combiner's features (:mod:`.combiner`), never a flag on
its own. The weights live in ``guidance_corpus/screening/classifier/chars.npz`` beside a
manifest ``chars.json`` recording their SHA-256; :func:`load_char_model` refuses a file
that does not match. :mod:`.char_training` fits them (``make train``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.errors import GmcbotError
from index.checked_files import read_checked

CHARS_FILE = "chars.npz"
CHARS_MANIFEST = "chars.json"
MIN_N, MAX_N = 2, 5


class CharModelError(GmcbotError):
    """The character model's files are damaged or do not match their manifest."""


def char_ngrams(folded: str) -> Iterable[str]:
    """The character n-grams of each word of ``folded``, the word padded with one space
    either side (so word starts and ends are n-grams of their own)."""
    for word in folded.split():
        padded = f" {word} "
        for n in range(MIN_N, min(MAX_N, len(padded)) + 1):
            for i in range(len(padded) - n + 1):
                yield padded[i : i + n]


def ngram_counts(texts: Sequence[str], column: dict[str, int]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per text: the vocabulary columns of its n-grams and their counts."""
    cols: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    for text in texts:
        found = Counter(column[g] for g in char_ngrams(text) if g in column)
        cols.append(np.fromiter(found.keys(), dtype=np.int64, count=len(found)))
        counts.append(np.fromiter(found.values(), dtype=np.float64, count=len(found)))
    return cols, counts


def tfidf_values(counts: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """``1 + log(count)`` times ``idf`` for one text's columns, scaled to unit length."""
    values = (1.0 + np.log(counts)) * idf
    norm = float(np.sqrt((values * values).sum()))
    return values / norm if norm > 0 else values


@dataclass(frozen=True)
class CharModel:
    """``weights`` is ``(len(vocabulary), len(classes))``; ``classes[0]`` is ordinary."""

    classes: tuple[str, ...]
    vocabulary: tuple[str, ...]
    idf: np.ndarray
    weights: np.ndarray
    bias: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "_column", {g: i for i, g in enumerate(self.vocabulary)})

    def log_probabilities(self, folded: Sequence[str]) -> np.ndarray:
        """``(len(folded), len(classes))`` log softmax probabilities of folded texts."""
        cols, counts = ngram_counts(folded, self.__dict__["_column"])
        logits = np.tile(self.bias.astype(np.float64), (len(folded), 1))
        for i, (c, n) in enumerate(zip(cols, counts, strict=True)):
            if len(c):
                logits[i] += tfidf_values(n, self.idf[c]) @ self.weights[c]
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / CHARS_FILE
        np.savez_compressed(
            path,
            classes=np.array(self.classes, dtype=str),
            vocabulary=np.array(self.vocabulary, dtype=str),
            idf=self.idf.astype(np.float32),
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
        )
        return path


def load_char_model(folder: Path) -> CharModel | None:
    """The model in ``folder``, or None when it holds none; a damaged or mismatched file
    raises :class:`CharModelError` naming it."""
    remedy = "run `make train` to rebuild it"
    checked = read_checked(folder / CHARS_MANIFEST, folder / CHARS_FILE, CharModelError, remedy)
    if checked is None:
        return None
    try:
        with np.load(folder / CHARS_FILE, allow_pickle=False) as data:
            model = CharModel(
                tuple(str(c) for c in data["classes"]),
                tuple(str(g) for g in data["vocabulary"]),
                np.asarray(data["idf"], dtype=np.float64),
                np.asarray(data["weights"], dtype=np.float64),
                np.asarray(data["bias"], dtype=np.float64),
            )
    except (OSError, ValueError, KeyError) as exc:
        raise CharModelError(f"{folder / CHARS_FILE}: cannot be read ({exc}); {remedy}") from None
    n_vocab, n_classes = len(model.vocabulary), len(model.classes)
    if model.weights.shape != (n_vocab, n_classes) or model.idf.shape != (n_vocab,) or model.bias.shape != (n_classes,):
        raise CharModelError(f"{folder / CHARS_FILE}: shapes do not fit its vocabulary and classes; {remedy}")
    return model
