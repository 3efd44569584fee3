"""Section 3, speed: warm ``ask`` latency (p50/p95/p99 over the development questions,
cycled to 200 single-question calls), screening throughput one message at a time and
batched, cold start to the first answer in a fresh process, and index build time.

Standalone (issue 2's latency note): ``python -m benchmarks.speed`` prints warm ``ask``
p50/p95/p99 and the cold start only.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import FULL, Context, Section, Table, cycle, fmt_ms, median, percentiles, run_child, time_once
from benchmarks.plots import histogram


def ask_latency(ctx: Context) -> dict[str, Any]:
    """Seconds per single-question ``ask`` (warm), ``ctx.runs`` passes of
    ``sizes.latency_asks`` questions; percentiles are the median over passes."""
    bot = ctx.bot()
    questions = [r["question"] for r in ctx.questions()]
    for q in questions[:5]:  # warm the code paths, not only the model
        bot.ask(q)
    passes = []
    for _ in range(ctx.runs):
        passes.append([time_once(bot.ask, q) for q in cycle(questions, ctx.sizes.latency_asks)])
    per_pass = [percentiles(p) for p in passes]
    return {
        "samples": [s for p in passes for s in p],
        "p50": median([p[0] for p in per_pass]),
        "p95": median([p[1] for p in per_pass]),
        "p99": median([p[2] for p in per_pass]),
        "asks": ctx.sizes.latency_asks,
        "passes": ctx.runs,
    }


def screening_throughput(ctx: Context) -> dict[str, float] | None:
    """Messages per second through ``screen`` one by one and ``screen_many`` in one
    batch (medians over runs); None when screening is not available. Every text is
    distinct (the development messages cycled, each with its own suffix): a batch embeds
    each distinct text once, so repeats would flatter the batched figure."""
    bot = ctx.bot()
    texts = [
        f"{t} [{i}]" for i, t in enumerate(cycle([r["text"] for r in ctx.messages()], ctx.sizes.throughput_messages))
    ]
    try:
        bot.screen_many(texts[:4])  # load the screener
    except ImportError:
        return None
    single = median([len(texts) / time_once(lambda: [bot.screen(t) for t in texts]) for _ in range(ctx.runs)])
    batched = median([len(texts) / time_once(lambda: bot.screen_many(texts)) for _ in range(ctx.runs)])
    return {"single_per_s": single, "batched_per_s": batched, "messages": len(texts)}


def probes(ctx: Context) -> list[dict[str, Any]]:
    """Fresh-process starts (``benchmarks.probe``), run once per benchmark run and shared
    with the memory section."""
    if "probes" not in ctx.cache:
        ctx.bot()  # the index must exist on disk, as for a server restarted after install
        serve = "3" if ctx.smoke else "20"
        out = []
        for _ in range(ctx.sizes.cold_runs):
            out.append(
                run_child(
                    "benchmarks.probe",
                    [
                        "--data-dir",
                        str(ctx.settings().data_dir),
                        "--t0",
                        repr(time.time()),
                        "--embedder",
                        ctx.embedder_name,
                        "--serve-questions",
                        serve,
                        "--serve-messages",
                        serve,
                    ],
                )
            )
        ctx.cache["probes"] = out
    result: list[dict[str, Any]] = ctx.cache["probes"]
    return result


def cold_start(ctx: Context) -> dict[str, float]:
    runs = probes(ctx)
    return {key: median([r[key] for r in runs]) for key in ("interpreter_s", "imports_s", "first_answer_s")}


def index_build(ctx: Context) -> dict[str, float]:
    """Seconds to build the index (embed every view, FAISS, write the folder, BM25): the
    run's first build, then rebuilds up to ``ctx.runs`` builds."""
    bot = ctx.bot()
    seconds = median([ctx.cache["first_build_s"]] + [time_once(bot.rebuild_index) for _ in range(ctx.runs - 1)])
    return {"seconds": seconds, "vectors": bot.retriever.loaded.index.count, "paragraphs": len(bot.corpus.paragraphs)}


def run(ctx: Context) -> Section:
    section = Section("speed", "Speed")
    lat = ask_latency(ctx)
    cold = cold_start(ctx)
    build = index_build(ctx)
    section.tables.append(
        Table(
            f"Warm answer latency: {lat['asks']} single-question `ask` calls (development questions cycled), "
            f"median of {lat['passes']} passes",
            ["p50 (ms)", "p95 (ms)", "p99 (ms)"],
            [[fmt_ms(lat["p50"]), fmt_ms(lat["p95"]), fmt_ms(lat["p99"])]],
        )
    )
    section.plots.append(
        histogram(
            ctx.plot_dir / "latency.png",
            [s * 1000 for s in lat["samples"]],
            "Warm ask latency (all passes)",
            {"p50": lat["p50"] * 1000, "p95": lat["p95"] * 1000, "p99": lat["p99"] * 1000},
        )
    )
    section.tables.append(
        Table(
            f"Cold start to first answer: fresh process, index already on disk, median of {ctx.sizes.cold_runs} starts",
            ["python up (s)", "imports done (s)", "first answer (s)"],
            [[f"{cold['interpreter_s']:.2f}", f"{cold['imports_s']:.2f}", f"{cold['first_answer_s']:.2f}"]],
            "Seconds from just before the process starts; includes loading the model and the index "
            "(operating-system file cache warm, as after an install or a restart).",
        )
    )
    section.tables.append(
        Table(
            f"Index build: {build['paragraphs']} paragraphs, {build['vectors']} vectors, median of {ctx.runs} builds",
            ["build (s)", "vectors per second"],
            [[f"{build['seconds']:.2f}", f"{build['vectors'] / build['seconds']:.0f}"]],
        )
    )
    section.headline = {
        "ask_ms": {k: round(lat[k] * 1000, 2) for k in ("p50", "p95", "p99")},
        "cold_start_s": round(cold["first_answer_s"], 2),
        "index_build_s": round(build["seconds"], 2),
    }
    section.summary.append(
        f"Warm ask latency p50 / p95 / p99: {lat['p50'] * 1000:.1f} / {lat['p95'] * 1000:.1f} / "
        f"{lat['p99'] * 1000:.1f} ms; cold start to first answer {cold['first_answer_s']:.2f} s; "
        f"index build {build['seconds']:.1f} s ({build['vectors']} vectors)."
    )
    through = screening_throughput(ctx)
    if through is None:
        section.notes.append("Screening throughput: screening not available in this tree.")
    else:
        section.tables.append(
            Table(
                f"Screening throughput: {through['messages']} development messages (cycled, each made distinct), median of {ctx.runs} runs",
                ["one at a time (msg/s)", "batched (msg/s)"],
                [[f"{through['single_per_s']:.0f}", f"{through['batched_per_s']:.0f}"]],
            )
        )
        section.headline["screening_per_s"] = {k: round(through[k], 1) for k in ("single_per_s", "batched_per_s")}
        section.summary.append(
            f"Screening throughput: {through['single_per_s']:.0f} messages/s one at a time, "
            f"{through['batched_per_s']:.0f} messages/s batched."
        )
    return section


def main() -> None:
    """Warm ``ask`` latency and cold start only (issue 2's figures)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=main.__doc__)
    parser.add_argument("--runs", type=int, default=3, help="passes over the questions (default 3)")
    parser.add_argument("--cold-runs", type=int, default=3, help="fresh-process starts (default 3)")
    args = parser.parse_args()
    from dataclasses import replace

    with tempfile.TemporaryDirectory(prefix="gmcbot-bench-") as tmp:
        ctx = Context(
            smoke=False,
            runs=args.runs,
            out_dir=Path(tmp),
            work_dir=Path(tmp),
            sizes=replace(FULL, cold_runs=args.cold_runs),
        )
        lat = ask_latency(ctx)
        cold = cold_start(ctx)
    print(
        f"warm ask over {lat['asks']} questions (median of {lat['passes']} passes): "
        f"p50 {lat['p50'] * 1000:.1f} ms, p95 {lat['p95'] * 1000:.1f} ms, p99 {lat['p99'] * 1000:.1f} ms"
    )
    print(f"cold start to first answer (median of {args.cold_runs} fresh processes): {cold['first_answer_s']:.2f} s")


if __name__ == "__main__":
    main()
