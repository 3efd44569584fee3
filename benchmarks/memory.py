"""Section 4, memory: peak resident set size (``ru_maxrss``) of a fresh process serving
with the shipped configuration (model, index and bot loaded), from the same
fresh-process starts as the cold-start figure (``benchmarks.speed.probes``)."""

from __future__ import annotations

from benchmarks.common import Context, Section, Table, fmt_mib, median
from benchmarks.speed import probes


def run(ctx: Context) -> Section:
    runs = probes(ctx)
    first = median([r["rss_first_answer_bytes"] for r in runs])
    serving = median([r["rss_serving_bytes"] for r in runs])
    resident = median([r["resident_after_serving_bytes"] for r in runs])
    screened = runs[0]["screened"]
    section = Section("memory", "Memory")
    what = "after answering and screening" if screened else "after answering (screening not available)"
    section.tables.append(
        Table(
            f"Peak RSS of a fresh serving process, median of {len(runs)} processes",
            ["peak after the first answer (MiB)", f"peak serving: {what} (MiB)", "resident at the end (MiB)"],
            [[fmt_mib(first), fmt_mib(serving), fmt_mib(resident)]],
            "Peak resident set size (`resource.getrusage(RUSAGE_SELF).ru_maxrss`) of a process that loaded "
            f"the corpus, the {ctx.embedder_name} embedder (MiniLM: all-MiniLM-L6-v2 through PyTorch on the CPU) "
            "and the FAISS index, then answered questions"
            + (f" and screened {screened} messages in one batch." if screened else "."),
        )
    )
    section.headline = {
        "peak_rss_mib": round(serving / 2**20, 1),
        "resident_mib": round(resident / 2**20, 1),
        "peak_rss_first_answer_mib": round(first / 2**20, 1),
    }
    section.summary.append(
        f"Peak RSS serving (model, index and bot loaded): {serving / 2**20:.0f} MiB "
        f"({resident / 2**20:.0f} MiB resident once loaded)."
    )
    return section
