"""Section 5, scale: exact FAISS search against approximate indexes (the shipped HNSW
configuration, and IVF for comparison) on synthetic corpora of growing size
(``benchmarks.synthetic``): build time, query latency, memory and recall against exact,
plotted against corpus size; and where the default should switch to approximate.

Two query shapes are timed: ``k = 10`` (a plain nearest-neighbour query) and the read
the bot makes (``bot.retrieval``: every row when exact, ``APPROX_ROWS`` rows when
approximate), since a paragraph's dense score needs all of its views.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from benchmarks.common import Context, Section, Table, fmt_mib, fmt_ms, median, percentiles, time_once, timed
from benchmarks.plots import lines_by_size
from benchmarks.synthetic import SEED, RealViews, check_against_model, queries, synthesize
from bot.query import expand_for_search, normalise_question
from bot.retrieval import APPROX_ROWS, passage_views
from index.persist import VECTORS
from index.store import APPROXIMATE_FROM, FaissIndex

# The share of the 30 ms warm-answer aim (issue 2) the vector search may take: a third;
# the question's forward pass, BM25 and answering need the rest, with room for p95.
DENSE_BUDGET_S = 0.010
# The approximate read must keep at least this share of the exact 10 best paragraphs.
MIN_RECALL = 0.95
IVF_NPROBE = 16
BOT_READ_QUERIES = 50  # reading every row at 100k paragraphs is slow; 50 queries suffice for a median
READ_DEPTHS = (400, 1000, 2000)  # candidate values of bot.retrieval.APPROX_ROWS


def real_views(ctx: Context) -> RealViews:
    """The real corpus's index rows (texts, owners, kinds) and their MiniLM vectors, read
    back from the shipped bot's saved exact index (row keys are ``paragraph-id#view``)."""
    if "real_views" not in ctx.cache:
        import faiss

        bot = ctx.bot()
        corpus = bot.corpus
        text_of = {
            f"{p.id}#{view}": text
            for p in corpus.paragraphs
            for view, text in passage_views(p, corpus.documents[p.doc_id])
        }
        number = {p.id: i for i, p in enumerate(corpus.paragraphs)}
        keys = bot.retriever.loaded.ids
        stored = faiss.read_index(str(ctx.settings().index_dir / VECTORS))
        vectors = (
            stored.reconstruct_n(0, stored.ntotal)
            if isinstance(stored, faiss.IndexFlat)
            else ctx.embedder().encode([text_of[k] for k in keys])
        )
        pids = [k.rsplit("#", 1) for k in keys]
        ctx.cache["real_views"] = RealViews(
            np.asarray(vectors, dtype=np.float32),
            np.asarray([number[pid] for pid, _ in pids]),
            np.asarray([{"full": 0, "base": 1}.get(view, 2) for _, view in pids]),
            [text_of[k] for k in keys],
        )
    views: RealViews = ctx.cache["real_views"]
    return views


def question_vectors(ctx: Context) -> np.ndarray:
    """The development questions prepared as ``ask`` prepares them, embedded."""
    prepared = [expand_for_search(normalise_question(r["question"])[0]) for r in ctx.questions()]
    return ctx.embedder().encode(prepared)


def _ivf(dim: int, rows: int) -> Any:
    import faiss

    nlist = max(4, int(math.sqrt(rows)))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.nprobe = IVF_NPROBE
    return index


def _build(kind: str, vectors: np.ndarray) -> Any:
    """A filled index of ``kind`` (exact, hnsw, ivf); IVF trains first, on up to 50
    vectors per list."""
    dim = vectors.shape[1]
    if kind == "ivf":
        index = _ivf(dim, len(vectors))
        sample = np.random.default_rng(SEED).permutation(len(vectors))[: 50 * index.nlist]
        index.train(vectors[np.sort(sample)])
        index.add(vectors)
        return index
    store = FaissIndex(dim, approximate=(kind == "hnsw"))
    store.add(vectors)
    return store


def _search(index: Any, q: np.ndarray, k: int) -> np.ndarray:
    if isinstance(index, FaissIndex):
        return index.search(q, k)[1]
    return np.asarray(index.search(np.ascontiguousarray(q), k)[1])


def _size_bytes(index: Any, path: Any) -> int:
    import faiss

    if isinstance(index, FaissIndex):
        index.save(path)
    else:
        faiss.write_index(index, str(path))
    size = int(path.stat().st_size)
    path.unlink()
    return size


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    hits = [len(set(f[f >= 0].tolist()) & set(t.tolist())) / len(t) for f, t in zip(found, truth, strict=True)]
    return float(np.mean(hits))


def _paragraph_cover(owners: np.ndarray, exact_all: list[np.ndarray], approx_rows: np.ndarray) -> float:
    """Share of each query's 10 best paragraphs (best view, exact) that have at least
    one view among the approximate index's ``APPROX_ROWS`` rows."""
    shares = []
    for order, rows in zip(exact_all, approx_rows, strict=True):
        best: list[int] = []
        seen: set[int] = set()
        for r in order:
            p = int(owners[r])
            if p not in seen:
                seen.add(p)
                best.append(p)
                if len(best) == 10:
                    break
        covered = {int(owners[r]) for r in rows if r >= 0}
        shares.append(sum(p in covered for p in best) / len(best))
    return float(np.mean(shares))


def measure_size(ctx: Context, vectors: np.ndarray, owners: np.ndarray, q: np.ndarray) -> dict[str, Any]:
    """Build, size, time and score each index kind on one synthetic corpus."""
    rows = len(vectors)
    out: dict[str, Any] = {"rows": rows}
    built: dict[str, Any] = {}
    for kind in ("exact", "hnsw", "ivf"):
        times = []
        for _ in range(ctx.runs):
            built.pop(kind, None)  # free the previous build first
            seconds, built[kind] = timed(_build, kind, vectors)
            times.append(seconds)
        out[f"{kind}_build_s"] = median(times)
        out[f"{kind}_bytes"] = _size_bytes(built[kind], ctx.work_dir / f"scale-{kind}.faiss")
        lat = [time_once(_search, built[kind], q[i : i + 1], 10) for i in range(len(q))]
        out[f"{kind}_p50_s"], out[f"{kind}_p95_s"] = percentiles(lat, (50, 95))
    truth = _search(built["exact"], q, 10)
    out["hnsw_recall10"] = _recall(_search(built["hnsw"], q, 10), truth)
    out["hnsw_recall10_beam"] = _recall(_search(built["hnsw"], q, min(rows, APPROX_ROWS))[:, :10], truth)
    out["ivf_recall10"] = _recall(_search(built["ivf"], q, 10), truth)

    nb = min(len(q), BOT_READ_QUERIES)
    exact_lat: list[float] = []
    exact_orders: list[np.ndarray] = []
    for i in range(nb):
        seconds, order = timed(_search, built["exact"], q[i : i + 1], rows)
        exact_lat.append(seconds)
        exact_orders.append(order[0])
    out["exact_bot_p50_s"] = median(exact_lat)
    out["reads"] = {}
    for depth in sorted({d for d in (*READ_DEPTHS, APPROX_ROWS) if d < rows} | {min(rows, APPROX_ROWS)}):
        lat = [time_once(_search, built["hnsw"], q[i : i + 1], depth) for i in range(nb)]
        approx = _search(built["hnsw"], q[:nb], depth)
        out["reads"][depth] = {
            "p50_s": median(lat),
            "recall": _recall(approx, np.stack([o[:depth] for o in exact_orders])),
            "cover": _paragraph_cover(owners, exact_orders, approx),
        }
    shipped = out["reads"][min(rows, APPROX_ROWS)]
    out["hnsw_bot_p50_s"], out["hnsw_recall_read"], out["hnsw_paragraph_cover"] = (
        shipped["p50_s"],
        shipped["recall"],
        shipped["cover"],
    )
    return out


def nice_floor(x: float) -> int:
    """The largest of 1, 2, 5 times a power of ten not above ``x``."""
    if x < 1:
        return 1
    power = 10 ** int(math.floor(math.log10(x)))
    return max(m * power for m in (1, 2, 5) if m * power <= x)


def switch_point(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Where the exact read the bot makes passes ``DENSE_BUDGET_S`` (linear in rows
    between measured sizes), and the smallest approximate read depth that keeps
    ``MIN_RECALL`` of the 10 best paragraphs at every measured size past that point."""
    xs = [r["rows"] for r in results]
    ys = [r["exact_bot_p50_s"] for r in results]
    crossing: float | None = float(xs[0]) if ys[0] >= DENSE_BUDGET_S else None
    for (x0, y0), (x1, y1) in zip(zip(xs, ys, strict=True), zip(xs[1:], ys[1:], strict=True), strict=False):
        if crossing is None and y0 < DENSE_BUDGET_S <= y1:
            crossing = x0 + (DENSE_BUDGET_S - y0) * (x1 - x0) / (y1 - y0)
    first = next((r for r in results if crossing is not None and r["rows"] >= crossing), results[-1])
    depth = next((d for d in sorted(first["reads"]) if first["reads"][d]["cover"] >= MIN_RECALL), None)
    return {
        "crossing_rows": crossing,
        "recommended": nice_floor(crossing) if crossing else None,
        "read_depth": depth,
        "checked_size": first["paragraphs"],
    }


def run(ctx: Context) -> Section:
    section = Section("scale", "Scale: exact against approximate search on synthetic corpora")
    real = real_views(ctx)
    q = queries(SEED, question_vectors(ctx), ctx.sizes.scale_queries)
    results = []
    check: dict[str, float] = {}
    for paragraphs in ctx.sizes.scale_paragraphs:
        corpus = synthesize(real, paragraphs)
        if not check:
            check = check_against_model(real, corpus, ctx.embedder().encode, sample=16 if ctx.smoke else 64)
        res = measure_size(ctx, corpus.vectors, corpus.owners, q)
        res["paragraphs"] = paragraphs
        results.append(res)
        del corpus
    sizes = [r["paragraphs"] for r in results]
    section.tables.append(
        Table(
            f"Build time and memory (median of {ctx.runs} builds; memory is the serialised index, vectors plus graph)",
            [
                "paragraphs",
                "vectors",
                "exact build (s)",
                "HNSW build (s)",
                "IVF build (s)",
                "exact (MiB)",
                "HNSW (MiB)",
                "IVF (MiB)",
            ],
            [
                [
                    f"{r['paragraphs']:,}",
                    f"{r['rows']:,}",
                    f"{r['exact_build_s']:.2f}",
                    f"{r['hnsw_build_s']:.2f}",
                    f"{r['ivf_build_s']:.2f}",
                    fmt_mib(r["exact_bytes"]),
                    fmt_mib(r["hnsw_bytes"]),
                    fmt_mib(r["ivf_bytes"]),
                ]
                for r in results
            ],
            "HNSW is the shipped approximate index (index/store.py: M 32, efConstruction 80, efSearch 64); "
            f"IVF-Flat (√n lists, nprobe {IVF_NPROBE}, trained on the corpus) for comparison.",
        )
    )
    section.tables.append(
        Table(
            f"Query latency and recall ({len(q)} single-vector queries; recall of the exact top 10)",
            [
                "paragraphs",
                "exact p50 / p95 (ms)",
                "HNSW p50 / p95 (ms)",
                "IVF p50 / p95 (ms)",
                "HNSW recall@10",
                f"HNSW recall@10, beam {APPROX_ROWS}",
                "IVF recall@10",
            ],
            [
                [
                    f"{r['paragraphs']:,}",
                    f"{fmt_ms(r['exact_p50_s'])} / {fmt_ms(r['exact_p95_s'])}",
                    f"{fmt_ms(r['hnsw_p50_s'])} / {fmt_ms(r['hnsw_p95_s'])}",
                    f"{fmt_ms(r['ivf_p50_s'])} / {fmt_ms(r['ivf_p95_s'])}",
                    f"{r['hnsw_recall10']:.3f}",
                    f"{r['hnsw_recall10_beam']:.3f}",
                    f"{r['ivf_recall10']:.3f}",
                ]
                for r in results
            ],
            f"HNSW searches with its shipped beam (efSearch 64) for k = 10; the bot reads {APPROX_ROWS} rows, which "
            f"widens the beam to {APPROX_ROWS} (the 'beam' column: the first 10 of those rows).",
        )
    )
    depths = sorted({d for r in results for d in r["reads"]})
    section.tables.append(
        Table(
            f"The read the bot makes (median of {min(len(q), BOT_READ_QUERIES)} queries): exact reads every row; "
            f"HNSW reads the top N rows (APPROX_ROWS, now {APPROX_ROWS}) with its beam widened to N",
            ["paragraphs", "exact, all rows (ms)"] + [f"HNSW {d} rows: ms / cover" for d in depths],
            [
                [f"{r['paragraphs']:,}", fmt_ms(r["exact_bot_p50_s"])]
                + [
                    f"{fmt_ms(r['reads'][d]['p50_s'])} / {r['reads'][d]['cover']:.3f}" if d in r["reads"] else "-"
                    for d in depths
                ]
                for r in results
            ],
            "cover: share of the exact 10 best paragraphs (by their best view) with at least one view among the rows "
            "read, i.e. that the bot's approximate path can still rank.",
        )
    )
    section.plots.append(
        lines_by_size(
            ctx.plot_dir / "scale.png",
            sizes,
            {
                "build time (s)": {k: [r[f"{k.lower()}_build_s"] for r in results] for k in ("exact", "HNSW", "IVF")},
                "query latency p50, k=10 (ms)": {
                    k: [r[f"{k.lower()}_p50_s"] * 1000 for r in results] for k in ("exact", "HNSW", "IVF")
                },
                "the bot's read, p50 (ms)": {
                    "exact, all rows": [r["exact_bot_p50_s"] * 1000 for r in results],
                    f"HNSW, {APPROX_ROWS} rows": [r["hnsw_bot_p50_s"] * 1000 for r in results],
                },
                "index memory (MiB)": {
                    k: [r[f"{k.lower()}_bytes"] / 2**20 for r in results] for k in ("exact", "HNSW", "IVF")
                },
                "recall@10 against exact": {
                    "HNSW": [r["hnsw_recall10"] for r in results],
                    f"HNSW, beam {APPROX_ROWS}": [r["hnsw_recall10_beam"] for r in results],
                    "IVF": [r["ivf_recall10"] for r in results],
                },
                "paragraphs in reach of the bot's read (cover)": {
                    f"HNSW, {d} rows": [r["reads"][d]["cover"] if d in r["reads"] else float("nan") for r in results]
                    for d in READ_DEPTHS
                },
            },
            "Exact against approximate search by synthetic corpus size",
            log_y=("build time (s)", "query latency p50, k=10 (ms)", "the bot's read, p50 (ms)", "index memory (MiB)"),
        )
    )
    switch = switch_point(results)
    rows_per_paragraph = results[-1]["rows"] / results[-1]["paragraphs"]
    larger = [r for r in results if r["paragraphs"] > switch["checked_size"]]
    where = "the first measured size past the switch" if switch["crossing_rows"] else "the largest measured"
    depth_text = (
        f"At {switch['checked_size']:,} paragraphs ({where}), reading "
        f"{switch['read_depth']:,} rows keeps at least {MIN_RECALL} of the exact 10 best paragraphs in "
        f"reach (bot.retrieval has APPROX_ROWS = {APPROX_ROWS})."
        if switch["read_depth"]
        else f"At {switch['checked_size']:,} paragraphs no read depth measured keeps {MIN_RECALL} of the exact "
        "10 best paragraphs in reach."
    )
    if larger:
        depth_text += (
            " Further out the reach falls: "
            + "; ".join(
                f"{r['paragraphs']:,} paragraphs: "
                + ", ".join(f"{d} rows {v['cover']:.3f}" for d, v in r["reads"].items())
                for r in larger
            )
            + "."
        )
    if switch["recommended"]:
        verdict = (
            f"The exact read the bot makes passes the {DENSE_BUDGET_S * 1000:.0f} ms budget at about "
            f"{switch['crossing_rows']:,.0f} vectors (about {switch['crossing_rows'] / rows_per_paragraph:,.0f} "
            f"paragraphs at {rows_per_paragraph:.1f} vectors each). Recommended switch: "
            f"{switch['recommended']:,} vectors. " + depth_text
        )
    else:
        verdict = (
            f"The exact read stays under the {DENSE_BUDGET_S * 1000:.0f} ms budget at every measured size: "
            "no switch needed up to the largest size measured. " + depth_text
        )
    crossing = switch["crossing_rows"]
    agrees = crossing is not None and crossing / 2 <= APPROXIMATE_FROM <= crossing * 2
    current = f"index/store.py switches at APPROXIMATE_FROM = {APPROXIMATE_FROM:,} vectors: " + (
        "within a factor of two of this run's crossing (consistent)."
        if agrees
        else "NOT within a factor of two of this run's crossing: revisit it."
    )
    section.notes += [
        "Synthetic corpora: each paragraph recombines the MiniLM sentence vectors of two or three real paragraphs, "
        "perturbed to cosine ~0.9, with passage and title views derived from them (benchmarks/synthetic.py). "
        f"On a sample of {check['sample']:.0f} synthetic paragraphs, the model's embedding of the recombined text "
        f"has cosine {check['cos_mean_of_sentences']:.3f} with the mean of its sentence vectors and "
        f"{check['cos_synthetic_base']:.3f} with the perturbed synthetic passage vector "
        f"(mismatched pairs: {check['cos_mismatched']:.3f}).",
        verdict,
        current,
        "Limits: the synthetic corpora reuse the real corpus's few hundred sentence vectors many times over (with "
        "noise), so at 100k paragraphs they form tight clusters of near-ties that are harder for an approximate "
        "index than real text of that size: read the large-size recall figures as pessimistic. The exact timings "
        "are the FAISS search alone; the bot's own per-row bookkeeping on the exact path adds to them.",
    ]
    big = results[-1]
    section.summary.append(
        f"Scale, {big['paragraphs']:,} synthetic paragraphs ({big['rows']:,} vectors): the bot's exact read "
        f"{big['exact_bot_p50_s'] * 1000:.1f} ms against HNSW {big['hnsw_bot_p50_s'] * 1000:.2f} ms "
        f"({big['exact_bot_p50_s'] / big['hnsw_bot_p50_s']:.0f}x); k=10 exact {big['exact_p50_s'] * 1000:.1f} ms "
        f"against HNSW {big['hnsw_p50_s'] * 1000:.2f} ms ({big['exact_p50_s'] / big['hnsw_p50_s']:.0f}x) at "
        f"recall@10 {big['hnsw_recall10']:.3f}; HNSW build {big['hnsw_build_s']:.0f} s against exact "
        f"{big['exact_build_s']:.1f} s, {big['hnsw_bytes'] / big['exact_bytes']:.2f}x the memory. " + verdict
    )
    section.headline = {
        "sizes": results,
        "switch": switch,
        "approximate_from": APPROXIMATE_FROM,
        "approximate_from_consistent": agrees,
        "synthetic_check": check,
        "rows_per_paragraph": round(rows_per_paragraph, 2),
    }
    return section
