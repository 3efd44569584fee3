"""Turn a ranking into an :class:`Answer`.

Policy (docs/retrieval.md): guidance in force comes before superseded guidance that
answers about as well; a regulator's standard before advisory guidance; guidance for
the asker's profession before another profession's; a trust's own policy first when
configured. Below a confidence threshold calibrated on the development questions the
bot declines (``no_match``) rather than cite something loosely related.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.audience import detect_audience
from bot.corpus import Corpus
from bot.retrieval import Candidate, Ranking
from bot.types import Answer, AnswerStatus, Citation, DocStatus

# Calibrated with the MiniLM embedder on eval/questions.jsonl (docs/retrieval.md): the
# best paragraph's base similarity below DECLINE_BELOW means nothing answers; between
# that and CONFIDENT_FROM the answer is marked low confidence.
DECLINE_BELOW = 0.31
CONFIDENT_FROM = 0.40
# Rank-score factors (a plateau of the sweep in docs/retrieval.md, not a single peak).
SUPERSEDED_FACTOR = 0.95
ADVISORY_FACTOR = 0.90
OTHER_AUDIENCE_FACTOR = 0.80
LOCAL_FACTOR = 1.25


@dataclass(frozen=True)
class Thresholds:
    decline_below: float = DECLINE_BELOW
    confident_from: float = CONFIDENT_FROM


# The hashing test embedder's similarities run lower (bag of hashed words): it only
# declines questions sharing no words with the corpus.
HASHING_THRESHOLDS = Thresholds(decline_below=0.05, confident_from=0.15)


def thresholds_for(embedder_id: str) -> Thresholds:
    """The calibrated thresholds for an embedder."""
    return HASHING_THRESHOLDS if embedder_id.startswith("hashing") else Thresholds()


def order_candidates(
    corpus: Corpus,
    candidates: list[Candidate],
    audience: str = "doctors",
    prefer_docs: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """Re-rank by the policy factors above; stable for equal weights."""

    def weight(c: Candidate) -> float:
        doc = corpus.documents[c.paragraph.doc_id]
        factor = 1.0
        if doc.status is DocStatus.SUPERSEDED:
            factor *= SUPERSEDED_FACTOR
        elif doc.status is DocStatus.ADVISORY:
            factor *= ADVISORY_FACTOR
        if not doc.applies_to(audience):
            factor *= OTHER_AUDIENCE_FACTOR
        if c.paragraph.doc_id in prefer_docs:
            factor *= LOCAL_FACTOR
        return c.fused * factor

    return sorted(candidates, key=weight, reverse=True)


def make_answer(
    question: str,
    corpus: Corpus,
    ranking: Ranking,
    top: int = 3,
    thresholds: Thresholds = Thresholds(),
    truncated: bool = False,
    default_audience: str = "doctors",
    prefer_docs: frozenset[str] = frozenset(),
) -> Answer:
    """Decide the status and keep the ``top`` citations, best first."""
    if not question.strip() or not ranking.candidates or ranking.confidence < thresholds.decline_below:
        return Answer(question, AnswerStatus.NO_MATCH, (), truncated)
    status = (AnswerStatus.ANSWERED if ranking.confidence >= thresholds.confident_from
              else AnswerStatus.LOW_CONFIDENCE)
    audience = detect_audience(question, default_audience)
    ranked = order_candidates(corpus, ranking.candidates, audience, prefer_docs)[:top]
    citations = tuple(Citation(c.paragraph, corpus.documents[c.paragraph.doc_id], c.dense) for c in ranked)
    return Answer(question, status, citations, truncated)
