"""Turn a ranking into an :class:`Answer`.

Policy (docs/retrieval.md): guidance in force leads; superseded guidance never leads a
question about current practice while any paragraph in force is among the candidates,
and leads only questions about versions or history; a regulator's standard comes before
advisory guidance; guidance for the asker's profession before another profession's; a
trust's own policy first when configured. When something says who is asking (the question,
a saved profession, the channel, the voice model), guidance for their profession leads
wherever it covers the point. The bot declines (``no_match``) rather than
cite something loosely related when the corpus probably does not answer the question:
with a learned ranker, when its answerability model (:meth:`LearnedRanker.answerable`)
gives below even odds; without one, when the question is nearer to questions the corpus
does not answer than to those it does (``outside`` against ``inside``), or when no
paragraph is close at all. A decline names whom to ask, by the nearest out-of-scope topic.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.audience import NOTHING_KNOWN, Known, choose_audience, named_audience
from bot.corpus import Corpus
from bot.ranker import LearnedRanker
from bot.retrieval import Candidate, Ranking
from bot.scope import route_for
from bot.types import Answer, AnswerStatus, Citation, DocStatus
from bot.versions import is_status_question, status_answer

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


# A superseded or advisory paragraph may lead only when no paragraph in force among the
# candidates reaches this share of its dense similarity to the question (then nothing
# current covers the point; calibrated on the development question sets, docs/retrieval.md).
LEAD_RATIO = 0.75
# Answering's tuned encoder (``make train-answer-encoder``) spreads similarities wider: a
# paragraph that does not quite answer sits further below one that does, so the same share
# asks more of a paragraph in force. Its ratio was chosen on the tuned question sets as the
# largest of 0.75, 0.70, 0.65 and 0.60 with which no superseded paragraph leads a question
# that is not about history (docs/retrieval.md).
TUNED_LEAD_RATIO = 0.65
# Decline when the nearest out-of-scope questions are this much more similar to the
# question than its nearest asks (calibrated on the development question sets).
OUTSIDE_MARGIN = 0.0
# A question about versions or history: superseded guidance may lead it.
HISTORY_RE = re.compile(
    r"\b(?:2012|2013|old|older|previous|earlier|superseded|replaced|history|historic(?:al)?|used to|"
    r"still (?:in force|valid|current|appl(?:y|ies))|what changed|changes? (?:in|since|between)|"
    r"out of date|outdated|no longer)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Thresholds:
    decline_below: float = DECLINE_BELOW
    confident_from: float = CONFIDENT_FROM
    outside_margin: float = OUTSIDE_MARGIN
    lead_ratio: float = LEAD_RATIO


# The hashing test embedder's similarities run lower (bag of hashed words): it only
# declines questions sharing no words with the corpus.
HASHING_THRESHOLDS = Thresholds(decline_below=0.05, confident_from=0.15, outside_margin=1.0)


TUNED_THRESHOLDS = Thresholds(lead_ratio=TUNED_LEAD_RATIO)


def thresholds_for(embedder_id: str) -> Thresholds:
    """The calibrated thresholds for an embedder (MiniLM with answering's tuning delta,
    ``~answer-`` in its id, has its own lead ratio)."""
    if embedder_id.startswith("hashing"):
        return HASHING_THRESHOLDS
    return TUNED_THRESHOLDS if "~answer-" in embedder_id else Thresholds()


def order_candidates(
    corpus: Corpus,
    candidates: list[Candidate],
    audience: str = "doctors",
    prefer_docs: frozenset[str] = frozenset(),
    history: bool = False,
    own_audience_first: bool = False,
    lead_ratio: float = LEAD_RATIO,
) -> list[Candidate]:
    """Re-rank by the policy factors above; stable for equal weights. Unless the
    question is about ``history``, a paragraph in force leads whenever one is nearly as
    similar to the question (``lead_ratio``, :data:`LEAD_RATIO`) as the superseded or advisory paragraphs
    among the candidates; with ``own_audience_first`` (something says who is asking), a
    paragraph in force written for ``audience`` (or for everyone) leads on the same terms
    against the paragraphs for other professions; before either, a paragraph of
    ``prefer_docs`` (the trust's own documents, with ``prefer_local``) leads on the same
    terms against every other. The others follow in rank order."""

    def weight(c: Candidate) -> float:
        doc = corpus.documents[c.paragraph.doc_id]
        factor = 1.0
        if doc.status is DocStatus.SUPERSEDED:
            factor *= 1.0 if history else SUPERSEDED_FACTOR
        elif doc.status is DocStatus.ADVISORY:
            factor *= ADVISORY_FACTOR
        if not doc.applies_to(audience):
            factor *= OTHER_AUDIENCE_FACTOR
        if c.paragraph.doc_id in prefer_docs:
            factor *= LOCAL_FACTOR
        return c.fused * factor

    ranked = sorted(candidates, key=weight, reverse=True)
    if history or not ranked:
        return ranked

    def in_force(c: Candidate) -> bool:
        return corpus.documents[c.paragraph.doc_id].status is DocStatus.CURRENT

    if prefer_docs:
        promoted = _lead_if_close(
            ranked, lambda c: in_force(c) and c.paragraph.doc_id in prefer_docs, lead_ratio, by_dense=True
        )
        if promoted is not ranked:
            return promoted
    if own_audience_first:
        promoted = _lead_if_close(
            ranked, lambda c: in_force(c) and corpus.documents[c.paragraph.doc_id].applies_to(audience), lead_ratio
        )
        if promoted is not ranked:
            return promoted
    return _lead_if_close(ranked, in_force, lead_ratio)


def _close_preferred(
    ranked: Sequence[Candidate], preferred: Callable[[Candidate], bool], ratio: float, by_dense: bool = False
) -> Candidate | None:
    """The first ``preferred`` candidate in ``ranked`` (with ``by_dense``, the most similar
    one: for paragraphs the reranker cannot score, such as a trust's own, which have no
    asks) when its dense similarity reaches ``ratio`` of the best other
    candidate's (it covers the point), else None."""
    mine = [c for c in ranked if preferred(c)]
    if not mine:
        return None
    lead = max(mine, key=lambda c: c.dense) if by_dense else mine[0]
    others = [c.dense for c in ranked if not preferred(c)]
    return lead if not others or lead.dense >= ratio * max(others) else None


def _lead_if_close(
    ranked: list[Candidate], preferred: Callable[[Candidate], bool], ratio: float, by_dense: bool = False
) -> list[Candidate]:
    """``ranked`` with its best ``preferred`` candidate (:func:`_close_preferred`) moved
    first, unless the first already is one, none is, or its dense similarity is below
    ``ratio`` of the best other candidate's (then nothing preferred covers the
    point). Returns ``ranked`` itself when nothing moves."""
    if not ranked or preferred(ranked[0]):
        return ranked
    lead = _close_preferred(ranked, preferred, ratio, by_dense)
    if lead is None:
        return ranked
    return [lead] + [c for c in ranked if c is not lead]


def _with_local_cited(
    ordered: Sequence[Candidate], ranked: list[Candidate], local_docs: frozenset[str], ratio: float = LEAD_RATIO
) -> list[Candidate]:
    """``ranked`` (the citations, best first) with the best paragraph of the trust's own
    documents (``local_docs``) that covers the point (:func:`_close_preferred`) in its
    last place, when none of them is cited already and there are at least two places."""

    def local(c: Candidate) -> bool:
        return c.paragraph.doc_id in local_docs

    if not local_docs or len(ranked) < 2 or any(local(c) for c in ranked):
        return ranked
    extra = _close_preferred(ordered, local, ratio, by_dense=True)
    return ranked if extra is None else [*ranked[:-1], extra]


def is_history_question(question: str) -> bool:
    """True when the question asks about versions or what the guidance used to say."""
    return bool(HISTORY_RE.search(question))


def make_answer(
    question: str,
    corpus: Corpus,
    ranking: Ranking,
    top: int = 3,
    thresholds: Thresholds = Thresholds(),
    truncated: bool = False,
    default_audience: str = "doctors",
    prefer_docs: frozenset[str] = frozenset(),
    routes: Mapping[str, str] | None = None,
    local_docs: frozenset[str] = frozenset(),
    known: Known = NOTHING_KNOWN,
    ranker: LearnedRanker | None = None,
) -> Answer:
    """Decide the status and keep the ``top`` citations, best first. Guidance for the
    asker's audience comes first (:func:`bot.audience.choose_audience`: a profession the
    question names, else ``known`` (their saved profession, the channel's audience), else
    the voice model's guess, else ``default_audience``); when one of the first four
    chose it, guidance for that audience leads wherever it covers the point
    (:func:`order_candidates`), while the configured default only weighs the ranking
    (:data:`OTHER_AUDIENCE_FACTOR`). With a ``ranker``
    (:mod:`bot.ranker`), its relevance replaces the fused score before the policy orders
    the candidates, the best candidate's relevance, not the passage similarity, decides
    whether the answer is marked low confidence, and its answerability model (when it has
    one) decides whether to decline instead of ``thresholds``."""
    if not question.strip() or not ranking.candidates:
        return Answer(question, AnswerStatus.NO_MATCH, (), truncated)
    if is_status_question(question):
        ranked_docs = list(dict.fromkeys(c.paragraph.doc_id for c in ranking.candidates))
        standing = status_answer(question, corpus, ranked_docs, truncated)
        if standing is not None:
            return standing
    audience = choose_audience(question, default_audience, ranking.voice, known)
    relevance = ranker.relevance(ranking, corpus, audience) if ranker is not None else None
    answerable = ranker.answerable(ranking, relevance) if ranker is not None and relevance is not None else None
    if answerable is not None and ranker is not None:
        if answerable < ranker.answerable_from:
            route = route_for(ranking.outside_topic, routes) if ranking.outside_topic else ""
            return Answer(question, AnswerStatus.NO_MATCH, (), truncated, route)
    elif ranking.outside - ranking.inside > thresholds.outside_margin:
        return Answer(question, AnswerStatus.NO_MATCH, (), truncated, route_for(ranking.outside_topic, routes))
    elif ranking.confidence < thresholds.decline_below:
        return Answer(question, AnswerStatus.NO_MATCH, (), truncated)
    status = AnswerStatus.ANSWERED if ranking.confidence >= thresholds.confident_from else AnswerStatus.LOW_CONFIDENCE
    if ranker is not None and relevance is not None:
        candidates = [
            dataclasses.replace(c, fused=float(p)) for c, p in zip(ranking.candidates, relevance, strict=True)
        ]
        ranking = dataclasses.replace(ranking, candidates=candidates)
        confident = len(relevance) > 0 and float(relevance.max()) >= ranker.confident_from
        status = AnswerStatus.ANSWERED if confident else AnswerStatus.LOW_CONFIDENCE
    history = is_history_question(question)
    # Only a sign of who is asking puts their guidance first; the configured default only weighs.
    signalled = bool(named_audience(question) or known.profession or known.channel or ranking.voice)
    ordered = order_candidates(
        corpus,
        ranking.candidates,
        audience,
        prefer_docs,
        history=history,
        own_audience_first=signalled,
        lead_ratio=thresholds.lead_ratio,
    )
    ranked = ordered[:top]
    if (
        not history
        and top > 1
        and corpus.documents[ranked[0].paragraph.doc_id].status is DocStatus.SUPERSEDED
        and not any(corpus.documents[c.paragraph.doc_id].status is DocStatus.CURRENT for c in ranked)
    ):
        # Only superseded text states the point: show the closest guidance in force beside it.
        in_force = [c for c in ordered if corpus.documents[c.paragraph.doc_id].status is DocStatus.CURRENT]
        if in_force:
            ranked = [ranked[0], in_force[0], *ranked[1 : top - 1]]
    if not history:
        ranked = _with_local_cited(ordered, ranked, local_docs, thresholds.lead_ratio)
    citations = tuple(Citation(c.paragraph, corpus.documents[c.paragraph.doc_id], c.dense) for c in ranked)
    return Answer(question, status, citations, truncated)
