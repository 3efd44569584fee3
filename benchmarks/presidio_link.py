"""Adds the identifier-stage-against-Presidio comparison to the screening section.

The comparison itself lives in ``benchmarks.screening_vs_presidio`` (written with the
screening stage: generated messages with known identifier spans and look-alikes, both
detectors in this process); this module only runs its ``compare`` and turns the result
into a table, a summary line and a plot.
"""

from __future__ import annotations

import importlib
from typing import Any

from benchmarks.common import Context, Section, Table
from benchmarks.plots import grouped_bars

FULL_MESSAGES = 1200
SMOKE_MESSAGES = 48


def extend(ctx: Context, section: Section) -> None:
    try:
        module = importlib.import_module("benchmarks.screening_vs_presidio")
    except ImportError as exc:
        section.notes.append(f"Identifier stage against Presidio: not run ({exc}).")
        return
    out: dict[str, Any] = module.compare(SMOKE_MESSAGES if ctx.smoke else FULL_MESSAGES, ctx.runs, ctx.embedder_name)
    results = out["results"]
    section.tables.append(
        Table(
            f"Identifier stage against Presidio's pattern recognizers: {out['messages']} generated messages, "
            f"{out['identifier_messages']} carrying patient identifiers, the rest look-alikes; one process",
            ["detector", "precision", "recall", "look-alike messages flagged", "messages/s"],
            [
                [
                    r["name"],
                    f"{r['precision']:.3f}",
                    f"{r['recall']:.3f}",
                    f"{r['false_positive_messages']}/{r['look_alike_messages']}",
                    f"{r['messages_per_second']:.0f}",
                ]
                for r in results
            ],
            f"Messages/s is the best of {ctx.runs} passes (benchmarks/screening_vs_presidio.py's method). Presidio runs "
            "a blank spaCy pipeline (no NER model) with its UK NHS, UK postcode, UK NINO, phone (GB), email and date "
            "recognizers.",
        )
    )
    if out.get("note"):
        section.notes.append(out["note"])
    if "pipeline" in out:
        section.notes.append(
            f"Full screening pipeline on the same generated messages ({out['pipeline']['embedder']} "
            f"embedder, batches of 64): {out['pipeline']['messages_per_second']:.0f} messages/s."
        )
    section.headline["presidio"] = out
    if "speedup" in out and len(results) == 2:
        ours, theirs = results
        section.summary.append(
            f"Identifier stage against Presidio's pattern recognizers ({out['messages']} generated messages): "
            f"{out['speedup']}x the throughput ({ours['messages_per_second']:.0f} against "
            f"{theirs['messages_per_second']:.0f} messages/s), precision {ours['precision']:.3f} against "
            f"{theirs['precision']:.3f}, recall {ours['recall']:.3f} against {theirs['recall']:.3f}, look-alikes "
            f"flagged {ours['false_positive_messages']} against {theirs['false_positive_messages']} "
            f"of {ours['look_alike_messages']}."
        )
        section.plots.append(
            grouped_bars(
                ctx.plot_dir / "presidio.png",
                ["precision", "recall", "look-alikes not flagged"],
                {
                    r["name"]: [
                        r["precision"],
                        r["recall"],
                        1 - r["false_positive_messages"] / max(1, r["look_alike_messages"]),
                    ]
                    for r in results
                },
                "Identifier detection: gmcbot against Presidio (generated messages)",
                "share",
                ylim=(0, 1.1),
            )
        )
