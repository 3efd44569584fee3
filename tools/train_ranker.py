"""Train the learned ranker (``bot.ranker``) on the blind-written questions.

Each writer's questions (``guidance_corpus/questions/blind_written/tqN.jsonl``) are
ranked with that writer's own asks hidden from the dense index and BM25 and its
out-of-scope questions hidden from the scope, so their features are those of a question
nobody wrote an ask for. A logistic model (scikit-learn, deterministic) is fitted on the
top :data:`bot.ranker.DEPTH` candidates of each answerable question, labelled by whether
the candidate is among the writer's relevant paragraphs.

Leave-one-writer-out, the model is fitted on the other writers and judged on the one
left out, answering every question as the bot would (first action right, hit@1, decline
accuracy, false declines; fused-rank order against learned). The probability from which an
answer counts as confident is set so that, left out, the same share of answers is marked
confident as the fixed rule marks (how often those are right is recorded for both). The
model fitted on every writer, that threshold and those figures are written to
``guidance_corpus/questions/ranker.json``.

With it goes the answerability model (``bot.ranker.QUESTION_FEATURES``): a logistic
model on four standardised numbers per question (nearest asks, nearest out-of-scope
questions, best paragraph, and the best probability of a reranker fitted without the
question's writer), labelled by whether the writer found a paragraph that answers it.
Its leave-one-writer-out figures (reranker and answerability fitted on the other
writers) are recorded as ``learned_and_answerable``.

    HF_HUB_OFFLINE=1 python tools/train_ranker.py          # or: make train-ranker
    python tools/train_ranker.py --check                    # figures only, nothing written
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.answering import make_answer, thresholds_for
from bot.audience import choose_audience
from bot.blind_written import data_digest, labelled_files, read_labelled, stored_text
from bot.config import load_settings
from bot.evaluation import is_relevant
from bot.ranker import (
    DEPTH,
    RANKER_FILE,
    LearnedRanker,
    LinearModel,
    candidate_features,
    question_features,
)
from bot.retrieval import Ranking, Retriever, base_text, passage_views
from bot.service import FIXED_DEPTH, GuidanceBot
from bot.types import AnswerStatus
from index.embedders import model_family

C = 1.0  # inverse regularisation


@dataclasses.dataclass
class Asked:
    """One blind-written question as the bot ranked it with its writer hidden."""

    writer: str
    question: str
    relevant: list[str]
    ranking: Ranking
    audience: str
    features: np.ndarray  # candidate features
    labels: np.ndarray  # candidate is relevant


@contextlib.contextmanager
def writer_hidden(retriever: Retriever, asks: set[str], scope: set[str]) -> Iterator[None]:
    """Within the block, ``retriever`` behaves as if ``asks`` had never been written
    (their index rows are dropped from every search, BM25 is rebuilt without them) and
    ``scope`` were not among the out-of-scope questions."""
    import bm25s

    texts = [t for p in retriever.paragraphs for _, t in passage_views(p, retriever.corpus.documents[p.doc_id])]
    kinds = retriever._kinds
    hidden = np.array([k == 3 and t in asks for k, t in zip(kinds, texts, strict=True)])
    index = retriever.loaded.index
    search, bm25, old_scope, old_vectors = index.search, retriever._bm25, retriever._scope, retriever._scope_vectors

    def hiding_search(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores, rows = search(vectors, k)
        rows = rows.copy()
        rows[(rows >= 0) & hidden[np.clip(rows, 0, None)]] = -1
        return scores, rows

    lexical = bm25s.BM25(k1=1.2, b=0.75)
    lexical.index(
        [
            retriever._tokenizer.tokens(" ".join((base_text(p), *(a for a in p.all_asks if a not in asks)))) or ["_"]
            for p in retriever.paragraphs
        ],
        show_progress=False,
    )
    keep = [i for i, q in enumerate(old_scope.questions) if q not in scope]
    index.search = hiding_search  # type: ignore[method-assign,assignment]
    retriever._bm25 = lexical
    retriever._scope = dataclasses.replace(
        old_scope,
        questions=tuple(old_scope.questions[i] for i in keep),
        topics=tuple(old_scope.topics[i] for i in keep),
    )
    retriever._scope_vectors = old_vectors[keep]
    try:
        yield
    finally:
        index.search = search  # type: ignore[method-assign]
        retriever._bm25, retriever._scope, retriever._scope_vectors = bm25, old_scope, old_vectors


def ask_blind(bot: GuidanceBot, files: Sequence[Path]) -> list[Asked]:
    """Every blind-written question, ranked with its own writer hidden."""
    retriever = bot.retriever
    out: list[Asked] = []
    for path in files:
        rows = read_labelled(path)
        asks = {stored_text(r["question"]) for r in rows if r["relevant"]}
        scope = {stored_text(r["question"]) for r in rows if not r["relevant"]}
        with writer_hidden(retriever, asks, scope):
            prepared, rankings = bot.rankings([r["question"] for r in rows], k=DEPTH)
        for row, (question, _), ranking in zip(rows, prepared, rankings, strict=True):
            if ranking is None:
                continue
            audience = choose_audience(question, bot.settings.audience, ranking.voice)
            labels = np.array([is_relevant(c.paragraph.id, row["relevant"]) for c in ranking.candidates], dtype=float)
            features = candidate_features(ranking, bot.corpus, audience)
            out.append(Asked(path.stem, question, row["relevant"], ranking, audience, features, labels))
        print(f"  {path.stem}: {len(rows)} questions ranked", file=sys.stderr)
    return out


def _fit(x: np.ndarray, y: np.ndarray) -> LinearModel:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    model = LogisticRegression(C=C, max_iter=5000).fit(x, y)
    return LinearModel(tuple(float(w) for w in model.coef_[0]), float(model.intercept_[0]))


def fit_answerable(x: np.ndarray, y: np.ndarray) -> LinearModel:
    """The answerability model: a logistic model on standardised :data:`QUESTION_FEATURES`
    (so one ``C`` suits features of different spread), folded back into weights on the
    raw features."""
    mean, spread = x.mean(axis=0), x.std(axis=0)
    spread[spread == 0] = 1.0
    scaled = _fit((x - mean) / spread, y)
    weights = np.asarray(scaled.weights) / spread
    return LinearModel(tuple(float(w) for w in weights), float(scaled.bias - float(weights @ mean)))


def fit(asked: Sequence[Asked], family: str) -> LearnedRanker:
    """The relevance model fitted on ``asked``'s answerable questions."""
    answerable = [a for a in asked if a.relevant]
    features = np.concatenate([a.features for a in answerable])
    return LearnedRanker(family, _fit(features, np.concatenate([a.labels for a in answerable])))


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How the bot answered one question: declined, first action right, marked confident."""

    declined: bool
    right: bool
    confident: bool


def outcomes(bot: GuidanceBot, asked: Sequence[Asked], ranker: LearnedRanker | None) -> list[Outcome]:
    """How each question is answered with ``ranker``, or without one as answering would
    (:data:`bot.service.FIXED_DEPTH` candidates)."""
    th = thresholds_for(bot.embedder.embedder_id)
    out = []
    for a in asked:
        ranking = a.ranking
        if ranker is None:
            ranking = dataclasses.replace(ranking, candidates=ranking.candidates[:FIXED_DEPTH])
        answer = make_answer(
            a.question, bot.corpus, ranking, thresholds=th, default_audience=bot.settings.audience, ranker=ranker
        )
        declined = answer.status is AnswerStatus.NO_MATCH
        cited = [c.id for c in answer.citations]
        right = declined if not a.relevant else (not declined and bool(cited) and is_relevant(cited[0], a.relevant))
        out.append(Outcome(declined, right, answer.status is AnswerStatus.ANSWERED))
    return out


def figures(asked: Sequence[Asked], results: Sequence[Outcome]) -> dict[str, Any]:
    """First action right, hit@1 (answerable), decline accuracy, false declines, and of
    the answers given, the share marked confident and how often the first citation was
    right in those and in the rest."""
    answerable = [r for a, r in zip(asked, results, strict=True) if a.relevant]
    outside = [r for a, r in zip(asked, results, strict=True) if not a.relevant]
    given = [(a, r) for a, r in zip(asked, results, strict=True) if not r.declined]
    confident = [bool(a.relevant) and r.right for a, r in given if r.confident]
    unsure = [bool(a.relevant) and r.right for a, r in given if not r.confident]

    def share(values: Sequence[bool], of: int) -> float:
        return round(sum(values) / max(of, 1), 4)

    return {
        "questions": len(asked),
        "first_action_right": sum(r.right for r in results),
        "hit@1": share([r.right for r in answerable], len(answerable)),
        "decline_accuracy": share([r.declined for r in outside], len(outside)),
        "false_declines": share([r.declined for r in answerable], len(answerable)),
        "answers_marked_confident": share([r.confident for _, r in given], len(given)),
        "right_when_confident": share(confident, len(confident)),
        "right_when_low_confidence": share(unsure, len(unsure)),
    }


def leave_one_writer_out(bot: GuidanceBot, asked: list[Asked], family: str) -> tuple[float, dict[str, Any]]:
    """The confidence threshold, and the figures without the ranker and with one fitted
    on the other writers. The threshold marks as confident the same share of the answers
    given as the fixed rule (passage similarity from answering's ``confident_from``)
    does, so only which answers are marked changes, not how many."""
    writers = sorted({a.writer for a in asked})
    order: list[Asked] = []
    learned: list[Outcome] = []
    best: list[float] = []
    for w in writers:
        held = [a for a in asked if a.writer == w]
        ranker = fit([a for a in asked if a.writer != w], family)
        order += held
        learned += outcomes(bot, held, ranker)
        best += [float(ranker.relevance(a.ranking, bot.corpus, a.audience).max()) for a in held]
    fixed = outcomes(bot, order, None)
    given = [r for r in fixed if not r.declined]
    share = sum(r.confident for r in given) / max(len(given), 1)
    answered_best = np.array([p for p, r in zip(best, learned, strict=True) if not r.declined])
    threshold = round(float(np.quantile(answered_best, 1 - share)), 4) if len(answered_best) else 0.5
    learned = [dataclasses.replace(r, confident=p >= threshold) for r, p in zip(learned, best, strict=True)]
    return threshold, {"fused_rank": figures(order, fixed), "learned": figures(order, learned)}


def answerable_rows(bot: GuidanceBot, asked: list[Asked], family: str) -> tuple[np.ndarray, np.ndarray]:
    """Each question's :data:`QUESTION_FEATURES`, the reranker's best probability from a
    reranker fitted without its writer (as a question nobody trained on would have it),
    and whether the corpus answers it."""
    rows = np.zeros((len(asked), 4))
    for w in sorted({a.writer for a in asked}):
        ranker = fit([a for a in asked if a.writer != w], family)
        for i, a in enumerate(asked):
            if a.writer == w:
                rows[i] = question_features(a.ranking, ranker.relevance(a.ranking, bot.corpus, a.audience))
    return rows, np.array([bool(a.relevant) for a in asked])


def answerable_out_of_writer(
    bot: GuidanceBot, asked: list[Asked], family: str, rows: np.ndarray, labels: np.ndarray
) -> dict[str, Any]:
    """Leave one writer out: the reranker and the answerability model fitted on the other
    writers, every left-out question answered as the bot would."""
    order: list[Asked] = []
    results: list[Outcome] = []
    writers = np.array([a.writer for a in asked])
    for w in sorted(set(writers)):
        held = [a for a in asked if a.writer == w]
        ranker = dataclasses.replace(
            fit([a for a in asked if a.writer != w], family),
            answerable_model=fit_answerable(rows[writers != w], labels[writers != w]),
        )
        order += held
        results += outcomes(bot, held, ranker)
    return figures(order, results)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="print the figures, write nothing")
    parser.add_argument(
        "--out", type=Path, default=RANKER_FILE, help=f"where to write the model (default: {RANKER_FILE})"
    )
    args = parser.parse_args(argv)
    bot = GuidanceBot(load_settings())
    family = model_family(bot.embedder.embedder_id)
    files = labelled_files()
    print(f"Ranking {len(files)} writers' questions, each with its own asks hidden...", file=sys.stderr)
    asked = ask_blind(bot, files)
    threshold, record = leave_one_writer_out(bot, asked, family)
    rows, labels = answerable_rows(bot, asked, family)
    record["learned_and_answerable"] = answerable_out_of_writer(bot, asked, family, rows, labels)
    print(f"leave one writer out: fused rank {record['fused_rank']}")
    print(f"leave one writer out: learned    {record['learned']} (confident from {threshold})")
    print(f"leave one writer out: learned, declining by the answerability model {record['learned_and_answerable']}")
    if args.check:
        return 0
    ranker = dataclasses.replace(
        fit(asked, family), confident_from=threshold, answerable_model=fit_answerable(rows, labels)
    )
    voice = bot.retriever.voice  # its guesses pick the audience a feature compares, so the fit saw them
    args.out.write_text(
        ranker.to_json(
            {
                "writers": [p.stem for p in files],
                "data_sha256": data_digest(files),
                "voice_sha256": voice.sha256 if voice is not None else None,
                "leave_one_writer_out": record,
            }
        ),
        encoding="utf-8",
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
