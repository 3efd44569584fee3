"""A learned reranker over a ranking's scores.

A logistic model, trained by ``tools/train_ranker.py`` (``make train-ranker``) on the
blind-written questions (``guidance_corpus/questions/blind_written/``, written by people
who had not read the corpus), each writer's questions answered with that writer's own
asks and out-of-scope questions hidden from the search data, so the features are those
of a question nobody wrote an ask for. It gives each candidate paragraph a probability
of answering the question, from how similar each kind of view is to the question (and
how far behind the best candidate), BM25, its rank, how many of the nearest asks are its
own, and whether its document is superseded, advisory or for another audience.
Answering orders candidates by it; the policy of :mod:`bot.answering` (guidance in force
first, the asker's profession) still applies on top. An answer whose best candidate's
probability is below :attr:`LearnedRanker.confident_from` is marked low confidence ("it
may not answer your question exactly").

A second, smaller logistic model, learned from the same questions (each writer's features
taken with that writer hidden, the reranker's best probability from a reranker fitted
without that writer), says whether the corpus answers the question at all, from four
numbers (:data:`QUESTION_FEATURES`): how near its nearest asks are, how near its nearest
out-of-scope questions are, the best paragraph's similarity and the reranker's best
probability. Answering declines below :attr:`LearnedRanker.answerable_from` (0.5).

The weights live in ``guidance_corpus/questions/ranker.json`` with the model family they
were learned with; another model gets no ranker (answering then orders by fused rank).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.corpus import Corpus
from bot.errors import CorpusError
from bot.retrieval import NEAR_VOTERS, VOTERS, Ranking
from bot.types import DocStatus
from guidance_corpus import QUESTIONS_DIR
from index.embedders import model_family

RANKER_FILE = QUESTIONS_DIR / "ranker.json"
# How many candidates the reranker reads (answering asks retrieval for this many).
DEPTH = 20

CANDIDATE_FEATURES = (
    "dense",
    "dense_behind_best",
    "full_behind_best",
    "base_behind_best",
    "sentence_behind_best",
    "ask_behind_best",
    "ask",
    "lexical_share",
    "inverse_rank",
    "ask_votes",
    "near_ask_votes",
    "superseded",
    "advisory",
    "other_audience",
)


def candidate_features(ranking: Ranking, corpus: Corpus, audience: str) -> np.ndarray:
    """One row of :data:`CANDIDATE_FEATURES` per candidate, in the ranking's order."""
    cands = ranking.candidates
    if not cands:
        return np.zeros((0, len(CANDIDATE_FEATURES)), dtype=np.float32)
    best_dense = max(c.dense for c in cands)
    best_full = max(c.full for c in cands)
    best_base = max(c.support for c in cands)
    best_sentence = max(c.sentence for c in cands)
    best_ask = max(c.ask for c in cands)
    best_lexical = max(max(c.lexical for c in cands), 1e-6)
    rows = []
    for i, c in enumerate(cands):
        doc = corpus.documents[c.paragraph.doc_id]
        rows.append(
            [
                c.dense,
                c.dense - best_dense,
                c.full - best_full,
                c.support - best_base,
                c.sentence - best_sentence,
                c.ask - best_ask,
                c.ask,
                c.lexical / best_lexical,
                1.0 / (1 + i),
                c.ask_votes / VOTERS,
                c.near_ask_votes / NEAR_VOTERS,
                float(doc.status is DocStatus.SUPERSEDED),
                float(doc.status is DocStatus.ADVISORY),
                float(not doc.applies_to(audience)),
            ]
        )
    return np.asarray(rows, dtype=np.float32)


QUESTION_FEATURES = ("inside", "outside", "confidence", "best_relevance")


def question_features(ranking: Ranking, relevance: np.ndarray) -> np.ndarray:
    """The row of :data:`QUESTION_FEATURES` for a question: ``relevance`` is the
    reranker's probability for each of its candidates."""
    best = float(relevance.max()) if len(relevance) else 0.0
    return np.array([ranking.inside, ranking.outside, ranking.confidence, best], dtype=np.float64)


@dataclass(frozen=True)
class LinearModel:
    """Logistic weights over named features."""

    weights: tuple[float, ...]
    bias: float

    def probability(self, features: np.ndarray) -> np.ndarray:
        """The probability for each row of ``features`` (or for one row)."""
        z = np.asarray(features, dtype=np.float64) @ np.asarray(self.weights) + self.bias
        return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True)
class LearnedRanker:
    """The relevance model, the model family it was learned with
    (``index.embedders.model_family``), and the probability from which an answer is confident."""

    embedder_id: str
    relevance_model: LinearModel
    confident_from: float = 0.5
    answerable_model: LinearModel | None = None
    answerable_from: float = 0.5

    def answerable(self, ranking: Ranking, relevance: np.ndarray) -> float | None:
        """The probability that the corpus answers the question at all (None without an
        answerability model); ``relevance`` is :meth:`relevance` for ``ranking``."""
        if self.answerable_model is None:
            return None
        return float(self.answerable_model.probability(question_features(ranking, relevance)))

    def relevance(self, ranking: Ranking, corpus: Corpus, audience: str) -> np.ndarray:
        """Each candidate's probability of answering the question, in ranking order."""
        features = candidate_features(ranking, corpus, audience)
        return self.relevance_model.probability(features) if len(features) else np.zeros(0)

    def to_json(self, record: dict[str, object] | None = None) -> str:
        data: dict[str, object] = {
            "embedder": self.embedder_id,
            "confident_from": self.confident_from,
            "relevance": dict(zip(CANDIDATE_FEATURES, self.relevance_model.weights, strict=True)),
            "relevance_bias": self.relevance_model.bias,
            "record": record or {},
        }
        if self.answerable_model is not None:
            data["answerable_from"] = self.answerable_from
            data["answerable"] = dict(zip(QUESTION_FEATURES, self.answerable_model.weights, strict=True))
            data["answerable_bias"] = self.answerable_model.bias
        return json.dumps(data, indent=1) + "\n"


def _model(data: dict, key: str, names: Sequence[str], path: Path) -> LinearModel:
    weights = data.get(key)
    if not isinstance(weights, dict) or sorted(weights) != sorted(names):
        raise CorpusError([f"{path}: '{key}' must give a weight for each of {', '.join(names)}; run make train-ranker"])
    return LinearModel(tuple(float(weights[n]) for n in names), float(data[f"{key}_bias"]))


def load_ranker(path: Path = RANKER_FILE) -> LearnedRanker | None:
    """The saved ranker, or ``None`` when the file is absent; a malformed file raises
    :class:`CorpusError` naming it."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return LearnedRanker(
            str(data["embedder"]),
            _model(data, "relevance", CANDIDATE_FEATURES, path),
            float(data["confident_from"]),
            _model(data, "answerable", QUESTION_FEATURES, path) if "answerable" in data else None,
            float(data.get("answerable_from", 0.5)),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CorpusError([f"{path}: not a ranker file ({exc}); run make train-ranker"]) from None


def load_ranker_for(embedder_id: str, path: Path = RANKER_FILE) -> LearnedRanker | None:
    """The saved ranker when it was learned with ``embedder_id``'s model (whatever backend
    runs it), else ``None``."""
    ranker = load_ranker(path)
    return ranker if ranker is not None and ranker.embedder_id == model_family(embedder_id) else None
