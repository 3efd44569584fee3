"""Section 1, retrieval quality: hit@1, hit@3, MRR, decline accuracy and false
declines on the development questions for BM25 only, dense only and the shipped
hybrid, overall and per document (the document of each question's first relevant
paragraph). Scoring is ``bot.evaluation.score_questions``, exactly what
``gmcbot eval questions`` prints; the ranking is deterministic, so one run."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from benchmarks.common import Context, Section, Table, fmt
from benchmarks.plots import grouped_bars
from bot.evaluation import QuestionScores, score_questions
from bot.retrieval import Method

LABELS = {Method.BM25: "BM25 only", Method.DENSE: "dense only", Method.HYBRID: "hybrid (shipped)"}
OUTSIDE = "(outside the corpus)"


def score_methods(bot: Any, rows: list[dict[str, Any]], top: int = 3) -> dict[Method, tuple[QuestionScores, list[Any]]]:
    """Scores and answers per method on ``rows`` (corpus-spec question lines)."""
    questions = [r["question"] for r in rows]
    out = {}
    for method in (Method.BM25, Method.DENSE, Method.HYBRID):
        answers = bot.ask_many(questions, top=top, method=method)
        out[method] = (score_questions(rows, answers), answers)
    return out


def primary_document(row: dict[str, Any]) -> str:
    relevant = row["relevant"]
    return str(relevant[0]).split(":", 1)[0] if relevant else OUTSIDE


def run(ctx: Context) -> Section:
    rows = ctx.questions()
    results = score_methods(ctx.bot(), rows)
    section = Section("retrieval", "Retrieval quality (development questions)")
    answerable = sum(1 for r in rows if r["relevant"])
    overall = Table(
        f"Overall: {answerable} answerable and {len(rows) - answerable} out-of-corpus questions, top 3 citations",
        ["method", "hit@1", "hit@3", "MRR", "decline accuracy", "false declines"],
        [
            [
                LABELS[m],
                fmt(s.hit_at_1),
                fmt(s.hit_at_3),
                fmt(s.mrr),
                fmt(s.decline_accuracy),
                fmt(s.false_decline_rate),
            ]
            for m, (s, _) in results.items()
        ],
        "MRR counts the first relevant citation among the three returned (a decline is a miss).",
    )
    groups: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        groups[primary_document(row)].append(i)
    per_doc_rows = []
    for doc in sorted(groups, key=lambda d: (d == OUTSIDE, d)):
        idx = groups[doc]
        sub = [rows[i] for i in idx]
        cells = [doc, str(len(idx))]
        for method in (Method.BM25, Method.DENSE, Method.HYBRID):
            answers = results[method][1]
            s = score_questions(sub, [answers[i] for i in idx])
            cells.append(
                f"{s.decline_accuracy:.2f} declined" if doc == OUTSIDE else f"{s.hit_at_1:.2f} / {s.hit_at_3:.2f}"
            )
        per_doc_rows.append(cells)
    per_doc = Table(
        "Per document (hit@1 / hit@3; the document of each question's first relevant paragraph)",
        ["document", "questions", "BM25 only", "dense only", "hybrid"],
        per_doc_rows,
    )
    section.tables += [overall, per_doc]
    metrics = ["hit@1", "hit@3", "MRR", "decline acc."]
    values = {LABELS[m]: [s.hit_at_1, s.hit_at_3, s.mrr, s.decline_accuracy] for m, (s, _) in results.items()}
    section.plots.append(
        grouped_bars(
            ctx.plot_dir / "retrieval.png",
            metrics,
            values,
            "Retrieval quality on the development questions",
            "score",
            ylim=(0, 1.05),
        )
    )
    section.headline = {LABELS[m]: s.to_json() for m, (s, _) in results.items()}
    section.summary.append(
        f"Retrieval on {len(rows)} development questions (hit@1 / hit@3 / MRR / decline accuracy): "
        + "; ".join(
            f"{LABELS[m]} {s.hit_at_1:.3f} / {s.hit_at_3:.3f} / {s.mrr:.3f} / {s.decline_accuracy:.2f}"
            for m, (s, _) in results.items()
        )
        + "."
    )
    section.notes.append("Quality figures are deterministic (same inputs, same ranking): one run.")
    return section
