"""Section 6, faster embedding: all-MiniLM-L6-v2 through ONNX Runtime (fp32, and the
shipped int8 graph of ``index.onnx_minilm``) against the PyTorch sentence-transformers
reference: export cost, fidelity (cosine to PyTorch's vectors), single-query latency,
batched throughput, and retrieval and screening quality on the development sets with an
index built by each. Also whether sentence-transformers' own ONNX backend loads here,
offline.

Adoption rule (issues 8 and 20), per task: a backend becomes a task's default only if
faster for one query or message (p50; what an ask or a screened message waits for), with
quality not worse on that task's development set, and every CI gate holding with it
(``tests/model``).
"""

from __future__ import annotations

import shutil
from typing import Any

import numpy as np

from benchmarks.common import Context, Section, Table, cycle, fmt, fmt_mib, fmt_ms, median, percentiles, time_once
from benchmarks.plots import grouped_bars
from benchmarks.scale import real_views
from bot.answering import DECLINE_BELOW
from bot.evaluation import score_messages, score_questions
from bot.query import expand_for_search, normalise_question
from index.embedders import make_embedder

PYTORCH = "PyTorch (reference)"
FP32 = "ONNX Runtime fp32 (answering)"
INT8 = "ONNX Runtime int8 (screening)"


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def st_onnx_backend(ctx: Context) -> str:
    """'' when sentence-transformers' ONNX backend loads the model here (offline),
    else the first line of its error."""
    from sentence_transformers import SentenceTransformer

    from benchmarks.onnx_embed import model_dir

    copy = ctx.work_dir / "st-onnx-model"
    shutil.copytree(model_dir(), copy, dirs_exist_ok=True)  # never write beside the installed model
    try:
        SentenceTransformer(str(copy), device="cpu", backend="onnx", local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    return ""


def variants(ctx: Context) -> dict[str, dict[str, Any]]:
    """The embedders compared, with what it cost to make each."""
    from benchmarks.onnx_embed import model_dir
    from index.onnx_minilm import OnnxMiniLM

    source = model_dir()
    out: dict[str, dict[str, Any]] = {
        PYTORCH: {
            "embedder": make_embedder("minilm"),
            "prepare_s": 0.0,
            "bytes": (source / "model.safetensors").stat().st_size,
        }
    }
    int8 = OnnxMiniLM(ctx.work_dir / "onnx-shipped", variant="int8")
    made_s = time_once(int8.prepare)  # export and quantise, as `gmcbot index build` does
    fp32 = OnnxMiniLM(ctx.work_dir / "onnx-shipped", variant="fp32")
    out[FP32] = {"embedder": fp32, "prepare_s": made_s, "bytes": fp32.graph_path.stat().st_size}
    out[INT8] = {"embedder": int8, "prepare_s": made_s, "bytes": int8.graph_path.stat().st_size}
    return out


def quality(ctx: Context, name: str, embedder: Any) -> dict[str, Any]:
    """Development-set scores with a bot whose index was built by ``embedder``."""
    from bot.service import GuidanceBot

    slug = "".join(c if c.isalnum() else "-" for c in name.lower())
    bot = GuidanceBot(ctx.settings("embed-" + slug), embedder=embedder)  # this embedder for both tasks
    rows = ctx.questions()
    out: dict[str, Any] = {"questions": score_questions(rows, bot.ask_many([r["question"] for r in rows])).to_json()}
    confidence = [bot.retriever.rank(expand_for_search(normalise_question(r["question"])[0])).confidence for r in rows]
    inside = [c for c, r in zip(confidence, rows, strict=True) if r["relevant"]]
    outside = [c for c, r in zip(confidence, rows, strict=True) if not r["relevant"]]
    out["margin"] = (min(inside) if inside else float("nan"), max(outside) if outside else float("nan"))
    messages = ctx.messages()
    try:
        out["messages"] = score_messages(messages, bot.screen_many([m["text"] for m in messages])).to_json()
    except ImportError:
        out["messages"] = None
    return out


def speed(embedders: dict[str, Any], asks: list[str], texts: list[str], runs: int) -> dict[str, dict[str, float]]:
    """Per embedder: single-query p50/p95 and batched texts per second, medians over
    ``runs`` rounds. Each round measures every embedder in turn, so a change in the
    machine's load during the run falls on all of them rather than on the last one."""
    passes: dict[str, list[list[float]]] = {name: [] for name in embedders}
    rates: dict[str, list[float]] = {name: [] for name in embedders}
    for embedder in embedders.values():
        embedder.encode(texts[:64])  # first-call allocations out of the timings
    for _ in range(runs):
        for name, embedder in embedders.items():
            passes[name].append(percentiles([time_once(embedder.encode, [q]) for q in asks], (50, 95)))
            rates[name].append(len(texts) / time_once(embedder.encode, texts))
    return {
        name: {
            "p50_s": median([p[0] for p in passes[name]]),
            "p95_s": median([p[1] for p in passes[name]]),
            "per_s": median(rates[name]),
        }
        for name in embedders
    }


def _not_worse(mine: dict[str, Any] | None, ref: dict[str, Any] | None, lower_better: set[str]) -> bool:
    if mine is None or ref is None:
        return mine is ref
    return all((mine[k] <= ref[k]) if k in lower_better else (mine[k] >= ref[k]) for k in ref if k != "n")


def adoption_verdict(found: dict[str, dict[str, Any]], decision: dict[str, Any], st_error: str) -> str:
    """The adopt-or-not sentence per task, from the measured speed and quality."""
    if not decision:
        return "Quality not checked in this run (smoke sizes): no adoption decision."
    parts = []
    for name, d in decision.items():
        speed = "faster single-query" if d["faster"] else "not faster single-query"
        answering = "answering quality not worse" if d["questions_ok"] else "lower answering quality"
        screening = "screening quality not worse" if d["messages_ok"] else "lower screening quality"
        parts.append(f"{name}: {speed}, {answering}, {screening}")
    chosen = []
    for task, key in (("answering", "questions_ok"), ("screening", "messages_ok")):
        fit = [n for n in (INT8, FP32) if decision.get(n, {}).get("faster") and decision.get(n, {}).get(key)]
        chosen.append(f"{task}: {fit[0] if fit else PYTORCH}")
    route = (
        "sentence-transformers' own ONNX backend does not install cleanly here, so the graphs are our own "
        "export (onnx and onnxruntime; torch makes them at set-up)"
        if st_error
        else "sentence-transformers' ONNX backend loads here"
    )
    return (
        f"Verdict by this rule (int8 first, then fp32, else PyTorch): {'; '.join(chosen)} "
        f"({'; '.join(parts)}); {route}."
    )


def run(ctx: Context) -> Section:
    section = Section("embedding", "Faster embedding: ONNX Runtime and int8 against PyTorch")
    try:
        import onnx  # noqa: F401 - needed by the exporter and the quantiser
        import onnxruntime  # type: ignore[import-untyped]  # noqa: F401
    except ImportError as exc:
        section.notes.append(f"Skipped: {exc.name} is not installed (`pip install -e '.[bench]'`).")
        return section
    st_error = st_onnx_backend(ctx)
    found = variants(ctx)
    texts = real_views(ctx).texts
    texts = texts[: ctx.sizes.embed_throughput_texts] if ctx.sizes.embed_throughput_texts else texts
    questions = [expand_for_search(normalise_question(r["question"])[0]) for r in ctx.questions()]
    reference = found[PYTORCH]["embedder"].encode(texts + questions)
    for name, v in found.items():
        emb = v["embedder"]
        vectors = emb.encode(texts + questions)
        cos = np.sum(vectors * reference, axis=1)
        v["cos_mean"], v["cos_min"] = float(cos.mean()), float(cos.min())
        if ctx.sizes.embed_quality:
            v.update(quality(ctx, name, emb))
    timings = speed(
        {name: v["embedder"] for name, v in found.items()},
        cycle(questions, ctx.sizes.embed_latency_queries),
        texts,
        ctx.runs,
    )
    for name, v in found.items():
        v.update(timings[name])
    base = found[PYTORCH]
    section.tables.append(
        Table(
            f"Speed and fidelity: single-query latency over {ctx.sizes.embed_latency_queries} development questions, "
            f"throughput over {len(texts)} index texts in batches of 64 (medians of {ctx.runs} rounds, the embedders "
            "taking turns in each)",
            [
                "embedder",
                "model file (MiB)",
                "prepare (s)",
                "cosine to PyTorch, mean / min",
                "p50 (ms)",
                "p95 (ms)",
                "texts/s",
                "speed-up (p50)",
                "speed-up (texts/s)",
            ],
            [
                [
                    name,
                    fmt_mib(v["bytes"]),
                    f"{v['prepare_s']:.1f}",
                    f"{v['cos_mean']:.4f} / {v['cos_min']:.4f}",
                    fmt_ms(v["p50_s"]),
                    fmt_ms(v["p95_s"]),
                    f"{v['per_s']:.0f}",
                    f"{base['p50_s'] / v['p50_s']:.2f}x",
                    f"{v['per_s'] / base['per_s']:.2f}x",
                ]
                for name, v in found.items()
            ],
            "prepare: one-off export from the installed model folder (and quantisation), offline.",
        )
    )
    decision: dict[str, Any] = {}
    if ctx.sizes.embed_quality:
        rows = []
        for name, v in found.items():
            q, m = v["questions"], v["messages"]
            cells = [
                name,
                fmt(q["hit@1"]),
                fmt(q["hit@3"]),
                fmt(q["mrr"]),
                fmt(q["decline_accuracy"]),
                fmt(q["false_decline_rate"]),
            ]
            cells += [fmt(m["recall"]), fmt(m["false_alarm_rate"]), fmt(m["category_accuracy"])] if m else ["-"] * 3
            cells.append(f"{v['margin'][0]:.3f} / {v['margin'][1]:.3f}")
            rows.append(cells)
        section.tables.append(
            Table(
                "Quality with an index built by each embedder (development questions, hybrid; development messages)",
                [
                    "embedder",
                    "hit@1",
                    "hit@3",
                    "MRR",
                    "decline acc.",
                    "false declines",
                    "screen recall",
                    "false alarms",
                    "category acc.",
                    "confidence: answerable min / outside max",
                ],
                rows,
                f"The last column is the decline margin: the lowest confidence of an answerable question and the "
                f"highest of an out-of-corpus one, either side of the calibrated threshold ({DECLINE_BELOW}).",
            )
        )
        for name, v in found.items():
            if name == PYTORCH:
                continue
            faster = v["p50_s"] < base["p50_s"]
            decision[name] = {
                "faster": faster,
                "questions_ok": _not_worse(v["questions"], base["questions"], {"false_decline_rate"}),
                "messages_ok": _not_worse(v["messages"], base["messages"], {"false_alarm_rate"}),
            }
    section.plots.append(
        grouped_bars(
            ctx.plot_dir / "embedding.png",
            ["single-query speed-up", "throughput speed-up"],
            {name: [base["p50_s"] / v["p50_s"], v["per_s"] / base["per_s"]] for name, v in found.items()},
            "Embedding speed relative to PyTorch (higher is faster)",
            "times PyTorch",
        )
    )
    section.notes.append(
        'sentence-transformers\' own ONNX backend (`backend="onnx"`): '
        + (
            "loads here."
            if not st_error
            else f"does not load here: {st_error} Its `onnx` extra brings optimum-onnx, whose releases "
            f"so far pin transformers below 4.58, while this environment runs transformers "
            f"{_version('transformers')} under sentence-transformers {_version('sentence-transformers')}: "
            "installing it would downgrade the stack under the shipped model (seen with "
            "`pip install --dry-run 'sentence-transformers[onnx]'`)."
        )
    )
    section.headline = {
        name: {
            k: (round(v[k], 5) if isinstance(v[k], float) else v[k])
            for k in ("p50_s", "p95_s", "per_s", "cos_mean", "cos_min", "prepare_s", "questions", "messages", "margin")
            if k in v
        }
        for name, v in found.items()
    }
    section.headline["decision"] = decision
    verdict = adoption_verdict(found, decision, st_error)
    section.notes.append(verdict)
    int8 = found[INT8]
    fp32 = found[FP32]
    section.summary.append(
        f"Embedding, ONNX Runtime against PyTorch: fp32 {base['p50_s'] / fp32['p50_s']:.1f}x single-query, "
        f"{fp32['per_s'] / base['per_s']:.1f}x throughput; int8 {base['p50_s'] / int8['p50_s']:.1f}x single-query, "
        f"{int8['per_s'] / base['per_s']:.1f}x throughput (cosine to PyTorch {int8['cos_mean']:.4f}). " + verdict
    )
    section.headline["st_onnx_backend_error"] = st_error
    return section
