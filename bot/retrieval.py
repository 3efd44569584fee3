"""Rank guidance paragraphs for a question: dense (FAISS), lexical (BM25) or both fused.

Each paragraph is embedded as several *views*: the whole passage with its document
title (``full``), the passage without the title (``base``), each sentence, the heading
with the paragraph's search terms, and each question the paragraph answers (its
``asks``, written in askers' words). The dense score of a paragraph is the mean of its
``full`` similarity and its best sentence-like view's (sentences, terms and asks pool
together). BM25 indexes the passage, terms and asks. The ``base`` similarity is what
answering compares with the decline threshold (it separates out-of-corpus questions
best; docs/retrieval.md).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from bot.corpus import Corpus
from bot.scope import OutOfScope, load_out_of_scope
from bot.types import Document, Paragraph
from bot.voice import VoiceModel, load_voice_for
from index.cache import embed_examples
from index.embedders import Embedder
from index.persist import LoadedIndex, open_or_build

log = logging.getLogger(__name__)


class Method(StrEnum):
    DENSE = "dense"
    BM25 = "bm25"
    HYBRID = "hybrid"


# Reciprocal-rank fusion constant: small, because the lists are short and the top
# few ranks carry the signal (docs/retrieval.md has the sweep).
RRF_K = 10
# How many nearest asks, and nearest out-of-scope questions, are averaged for declining.
NEAREST = 3
# How many nearest asks vote for their paragraphs (Candidate.ask_votes, near_ask_votes).
VOTERS = 30
NEAR_VOTERS = 5
# How many index rows to read per question when the index is approximate (HNSW).
APPROX_ROWS = 400
MIN_SENTENCE_CHARS = 16
_SENTENCE_RE = re.compile(r"(?<=[.;!?])\s+")
_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOPWORDS = frozenset(
    "a an and are as at be been but by can could do does did for from had has have how i if in "
    "into is it its me my of on or our should so than that the their them then there these they "
    "this to was we were what when where which who whom why will with would you your yours am "
    "about any just also not no".split()
)


def base_text(paragraph: Paragraph) -> str:
    """Heading, text and search terms: the BM25 document and the ``base`` view."""
    terms = f" ({', '.join(paragraph.terms)})" if paragraph.terms else ""
    return f"{paragraph.heading}. {paragraph.text}{terms}"


def lexical_text(paragraph: Paragraph) -> str:
    """The BM25 document: :func:`base_text` and the questions the paragraph answers."""
    return " ".join((base_text(paragraph), *paragraph.all_asks))


def passage_views(paragraph: Paragraph, document: Document) -> list[tuple[str, str]]:
    """``(view, text)`` pairs embedded for a paragraph; row keys are ``id#view``."""
    base = base_text(paragraph)
    views = [("full", f"{document.title}. {base}"), ("base", base)]
    sentences = [s for s in _SENTENCE_RE.split(paragraph.text) if len(s) >= MIN_SENTENCE_CHARS]
    views += [(f"s{i}", s) for i, s in enumerate(sentences)]
    if paragraph.terms:  # the heading with the everyday words, as one more "sentence"
        views.append(("terms", f"{paragraph.heading}. {', '.join(paragraph.terms)}"))
    views += [(f"a{i}", ask) for i, ask in enumerate(paragraph.all_asks)]  # askers' words: pooled like sentences
    return views


@dataclass(frozen=True)
class Candidate:
    """A ranked paragraph: ``dense`` (ranking similarity), ``support`` (the ``base``
    similarity used for declining), ``lexical`` (BM25) and ``fused`` (the rank score);
    then each kind of view's best similarity (``full``, ``sentence``: sentences and
    terms, ``ask``: the questions it answers; -1 where none), and how many of the
    question's :data:`VOTERS` (``ask_votes``) and :data:`NEAR_VOTERS`
    (``near_ask_votes``) nearest asks are this paragraph's (what :mod:`bot.ranker`
    learns from)."""

    paragraph: Paragraph
    dense: float
    support: float
    lexical: float
    fused: float
    full: float = -1.0
    sentence: float = -1.0
    ask: float = -1.0
    ask_votes: int = 0
    near_ask_votes: int = 0


@dataclass(frozen=True)
class Ranking:
    """Candidates best first; ``confidence``: the best ``base`` similarity of any
    paragraph to the question; ``inside``: the mean similarity of the question's nearest
    asks (questions the corpus answers); ``outside``: the mean similarity of its nearest
    questions the corpus does not answer, and ``outside_topic`` the nearest one's topic.
    Answering compares them to decide whether to decline. ``voice``: the profession
    whose guidance the question reads like (:mod:`bot.voice`), when confident."""

    candidates: list[Candidate]
    confidence: float
    inside: float = 0.0
    outside: float = 0.0
    outside_topic: str = ""
    voice: str | None = None


class _Tokenizer:
    def __init__(self) -> None:
        import Stemmer

        self._stem = Stemmer.Stemmer("english")
        self._lock = threading.Lock()

    def tokens(self, text: str) -> list[str]:
        words = [w.replace("'", "") for w in _TOKEN_RE.findall(text.lower())]
        with self._lock:  # PyStemmer objects are not thread-safe
            return list(self._stem.stemWords([w for w in words if w not in _STOPWORDS]))


class Retriever:
    """Holds the corpus, the embedder, the FAISS index of views and the BM25 index."""

    def __init__(
        self,
        corpus: Corpus,
        embedder: Embedder,
        index_dir: Path,
        progress: bool = True,
        notify: Callable[[str], None] | None = None,
        force_rebuild: bool = False,
        scope: OutOfScope | None = None,
        voice: VoiceModel | None = None,
    ) -> None:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import
        self.corpus = corpus
        self.embedder = embedder
        self.paragraphs = corpus.paragraphs
        keys: list[str] = []
        texts: list[str] = []
        owners: list[int] = []
        kinds: list[int] = []  # 0 full, 1 base, 2 sentence or terms, 3 ask
        for i, p in enumerate(self.paragraphs):
            for view, text in passage_views(p, corpus.documents[p.doc_id]):
                keys.append(f"{p.id}#{view}")
                texts.append(text)
                owners.append(i)
                kinds.append({"full": 0, "base": 1}.get(view, 3 if view.startswith("a") else 2))
        self._owners = np.asarray(owners, dtype=np.int64)
        self._kinds = np.asarray(kinds, dtype=np.int8)
        self.loaded: LoadedIndex = open_or_build(
            index_dir,
            texts,
            keys,
            embedder,
            corpus.fingerprint,
            progress=progress,
            notify=notify,
            force=force_rebuild,
        )
        self._scope = scope if scope is not None else load_out_of_scope()
        self._scope_vectors = (
            embed_examples(embedder, list(self._scope.questions), index_dir / "scope")
            if self._scope.questions
            else np.zeros((0, embedder.dim), dtype=np.float32)
        )
        self.voice = voice if voice is not None else load_voice_for(embedder.embedder_id)
        self._tokenizer = _Tokenizer()
        self._bm25 = bm25s.BM25(k1=1.2, b=0.75)
        self._bm25.index(
            [self._tokenizer.tokens(lexical_text(p)) or ["_"] for p in self.paragraphs], show_progress=False
        )

    def _lexical(self, question: str) -> np.ndarray:
        tokens = self._tokenizer.tokens(question)
        if not tokens:
            return np.zeros(len(self.paragraphs), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def _views(self, vector: np.ndarray) -> _ViewScores:
        """Per paragraph, each kind of view's best similarity to ``vector`` (-1 where
        unseen), the votes of the :data:`VOTERS` and :data:`NEAR_VOTERS` nearest asks, and
        the mean similarity of the :data:`NEAREST` nearest asks."""
        n = len(self.paragraphs)
        index = self.loaded.index
        k = index.count if not index.approximate else min(index.count, APPROX_ROWS)
        scores, rows = index.search(vector.reshape(1, -1), k)
        rows, scores = rows[0], scores[0]
        keep = rows >= 0
        rows, scores = rows[keep], scores[keep]
        owners, kinds = self._owners[rows], self._kinds[rows]

        def best(kind: int) -> np.ndarray:
            out = np.full(n, -1.0, dtype=np.float32)
            np.maximum.at(out, owners[kinds == kind], scores[kinds == kind])
            return out

        asks = np.flatnonzero(kinds == 3)
        nearest = asks[np.argsort(-scores[asks], kind="stable")]
        votes = np.bincount(owners[nearest[:VOTERS]], minlength=n)
        near_votes = np.bincount(owners[nearest[:NEAR_VOTERS]], minlength=n)
        inside = float(scores[nearest[:NEAREST]].mean()) if len(nearest) else 0.0
        return _ViewScores(best(0), best(1), best(2), best(3), votes, near_votes, inside)

    def embed(self, questions: Sequence[str]) -> np.ndarray:
        return self.embedder.encode(list(questions))

    def best_support(self, vectors: np.ndarray) -> float:
        """The best base similarity of any paragraph to any of ``vectors`` (the
        ``confidence`` :meth:`rank` would give the closest of them)."""
        return max((float(self._views(v).base.max()) for v in vectors), default=-1.0)

    def rank(
        self, question: str, k: int = 10, method: Method = Method.HYBRID, vector: np.ndarray | None = None
    ) -> Ranking:
        """The top ``k`` candidates for ``question`` (already normalised), best first."""
        if vector is None:
            vector = self.embed([question])[0]
        views = self._views(vector)
        dense, support = views.dense, views.base
        outside, topic = self._outside(vector)
        lexical = self._lexical(question)
        if method is Method.DENSE:
            fused = dense
        elif method is Method.BM25:
            fused = lexical
        else:
            fused = _rrf(dense) + _rrf(lexical)
        order = np.argsort(-fused, kind="stable")[:k]
        candidates = [
            Candidate(
                self.paragraphs[i],
                float(dense[i]),
                float(support[i]),
                float(lexical[i]),
                float(fused[i]),
                float(views.full[i]),
                float(views.sentence[i]),
                float(views.ask[i]),
                int(views.votes[i]),
                int(views.near_votes[i]),
            )
            for i in order
        ]
        voice = self.voice.guess(vector) if self.voice is not None else None
        return Ranking(candidates, float(support.max()) if len(support) else -1.0, views.inside, outside, topic, voice)

    def _outside(self, vector: np.ndarray) -> tuple[float, str]:
        """Mean similarity of the :data:`NEAREST` nearest out-of-scope questions, and the
        nearest one's topic."""
        if not len(self._scope.questions):
            return 0.0, ""
        sims = self._scope_vectors @ vector.astype(np.float32)
        top = np.argsort(-sims, kind="stable")[:NEAREST]
        return float(sims[top].mean()), self._scope.topics[int(top[0])]


@dataclass(frozen=True)
class _ViewScores:
    """Per paragraph, the best similarity of each kind of view (-1 where unseen)."""

    full: np.ndarray
    base: np.ndarray
    sentence: np.ndarray
    ask: np.ndarray
    votes: np.ndarray
    near_votes: np.ndarray
    inside: float

    @property
    def dense(self) -> np.ndarray:
        """The ranking similarity: the mean of ``full`` and the best sentence-like view
        (sentences, terms and asks pool together; ``base`` for a paragraph with none)."""
        pooled = np.maximum(self.sentence, self.ask)
        return (self.full + np.where(pooled < -0.5, self.base, pooled)) / 2.0


def _rrf(scores: np.ndarray) -> np.ndarray:
    ranks = np.empty(len(scores), dtype=np.float32)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1, dtype=np.float32)
    return (1.0 / (RRF_K + ranks)).astype(np.float32)
