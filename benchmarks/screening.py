"""Section 2, screening quality on the development messages through
``GuidanceBot.screen_many``: overall (``bot.evaluation.score_messages``, what
``gmcbot eval messages`` prints) and per category; then our identifier stage against
Microsoft Presidio's pattern recognizers (``benchmarks.screening_vs_presidio``)."""

from __future__ import annotations

from typing import Any

from benchmarks import presidio_link
from benchmarks.common import Context, Section, Table, fmt
from benchmarks.plots import grouped_bars
from bot.evaluation import score_messages
from bot.types import Category


def per_category(rows: list[dict[str, Any]], results: list[Any]) -> list[dict[str, Any]]:
    """Per category: labelled risky lines, recall (flagged at all), right category
    (primary category matches), precision (lines whose primary category is this one
    that are labelled with it) and false alarms (ordinary lines given this category)."""
    ordinary = sum(1 for r in rows if not r["risky"])
    out = []
    for cat in Category:
        labelled = [i for i, r in enumerate(rows) if r["risky"] and r.get("category") == cat.value]
        predicted = [i for i, res in enumerate(results) if res.flag is not None and res.flag.category is cat]
        if not labelled and not predicted:
            continue
        flagged = sum(1 for i in labelled if results[i].flag is not None)
        right = sum(1 for i in labelled if results[i].flag is not None and results[i].flag.category is cat)
        correct = sum(1 for i in predicted if rows[i]["risky"] and rows[i].get("category") == cat.value)
        false_alarms = sum(1 for i in predicted if not rows[i]["risky"])
        out.append(
            {
                "category": cat.value,
                "labelled": len(labelled),
                "predicted": len(predicted),
                "recall": flagged / len(labelled) if labelled else float("nan"),
                "right_category": right / len(labelled) if labelled else float("nan"),
                "precision": correct / len(predicted) if predicted else float("nan"),
                "false_alarms": false_alarms,
                "false_alarm_rate": false_alarms / ordinary if ordinary else 0.0,
            }
        )
    return out


def _cell(value: float) -> str:
    return "-" if value != value else fmt(value, 2)  # NaN: nothing to divide by


def run(ctx: Context) -> Section:
    section = Section("screening", "Screening quality (development messages)")
    rows = ctx.messages()
    try:
        results = ctx.bot().screen_many([r["text"] for r in rows])
    except ImportError as exc:
        section.notes.append(f"Screening is not available in this tree ({exc}); section skipped.")
        return section
    scores = score_messages(rows, results)
    risky = sum(1 for r in rows if r["risky"])
    section.tables.append(
        Table(
            f"Overall: {risky} risky and {len(rows) - risky} ordinary messages",
            ["recall", "false-alarm rate", "precision", "category accuracy", "citation accuracy"],
            [
                [
                    fmt(scores.recall),
                    fmt(scores.false_alarm_rate),
                    fmt(scores.precision),
                    fmt(scores.category_accuracy),
                    fmt(scores.citation_accuracy),
                ]
            ],
        )
    )
    cats = per_category(rows, results)
    section.tables.append(
        Table(
            "Per category",
            ["category", "labelled", "recall", "right category", "flagged as", "precision", "false alarms"],
            [
                [
                    c["category"],
                    str(c["labelled"]),
                    _cell(c["recall"]),
                    _cell(c["right_category"]),
                    str(c["predicted"]),
                    _cell(c["precision"]),
                    f"{c['false_alarms']} ({c['false_alarm_rate']:.3f})",
                ]
                for c in cats
            ],
            "recall: labelled lines flagged in any category; right category: flagged with this primary "
            "category; precision: lines given this primary category that carry its label; false alarms: "
            "ordinary lines given this category (share of all ordinary lines).",
        )
    )
    labelled = [c for c in cats if c["labelled"]]
    section.plots.append(
        grouped_bars(
            ctx.plot_dir / "screening.png",
            [c["category"].replace("-", "-\n", 1) for c in labelled],
            {
                "recall": [c["recall"] for c in labelled],
                "right category": [c["right_category"] for c in labelled],
                "precision": [0.0 if c["precision"] != c["precision"] else c["precision"] for c in labelled],
            },
            "Screening per category (development messages)",
            "share",
            ylim=(0, 1.1),
        )
    )
    section.headline = {"overall": scores.to_json()}
    section.summary.append(
        f"Screening on {len(rows)} development messages: recall {scores.recall:.3f}, false-alarm rate "
        f"{scores.false_alarm_rate:.3f}, precision {scores.precision:.3f}, category accuracy "
        f"{scores.category_accuracy:.3f}, citation accuracy {scores.citation_accuracy:.3f}."
    )
    section.notes.append("Quality figures are deterministic: one run.")
    presidio_link.extend(ctx, section)
    return section
