"""Section: before and after (issue 20), side by side in one run.

"Before" is the source tree at :data:`BASELINE` (the commit this work started from),
extracted with ``git archive`` into the scratch folder; "after" is this tree. Both run
with the same interpreter and packages, on the same machine, in the same minutes, and
their fresh-process timings alternate (before, after, before, ...), so a change in the
machine's load falls on both. Measured for each:

- the set-up: ``gmcbot index build`` on an empty data folder (after: also the ONNX model
  and the exemplar vectors; before: the index only, the exemplars followed on first use);
- fresh processes with the index on disk: ``gmcbot --help``, ``gmcbot check TEXT``,
  ``gmcbot ask QUESTION`` (wall seconds, CPU seconds and peak RSS of the child);
- warm: ``ask`` p50/p95 and batched screening throughput (``benchmarks/tree_probe.py``),
  and what a serving process holds resident, with or without PyTorch loaded;
- the Slack burst (1,000 events from 50 senders, MiniLM): answer and notice p95;
- install size of the packages each runtime path loads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import EVAL_DIR, ROOT, Context, Section, Table, fmt_mib, median

# "Before" is issue 20's starting commit unless ``BENCH_BASELINE`` names another in this
# clone's history (issue 15 compares against its own starting point, e617750).
BASELINE = os.environ.get("BENCH_BASELINE") or "add090a32beef60d97f8ee7863fa7e28109f116c"
BASELINE_SHORT = BASELINE[:7]
QUESTION = "can I reply to a patient on Twitter?"
MESSAGE = "Bed 12 is free for the next admission"


def baseline_tree(ctx: Context) -> Path | None:
    """The baseline commit's files in the scratch folder; None when git or the commit is
    not at hand (a shallow clone, an unpacked archive)."""
    target = ctx.work_dir / "before"
    if (target / "bot").is_dir():
        return target
    target.mkdir(parents=True, exist_ok=True)
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", BASELINE], capture_output=True, check=True, timeout=120
        )
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    return target if (target / "bot").is_dir() else None


def _env(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GMCBOT_") or k == "GMCBOT_TEST_POSTGRES_URL"}
    env.update({"PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    return env


def cli_module(tree: Path) -> str:
    """The CLI's module in ``tree``: ``adapters.cli`` since issue 15, ``bot.cli`` before."""
    return "adapters.cli" if (tree / "adapters" / "cli").is_dir() else "bot.cli"


def backend_of(tree: Path) -> str:
    """The backend ``tree``'s server embeds with by default: ``auto`` (ONNX Runtime) once
    the tree has ``index/onnx_minilm.py``, ``torch`` before; the burst's expected outcomes
    are screened, and its data folder prepared, with the same one."""
    return "auto" if (tree / "index" / "onnx_minilm.py").is_file() else "torch"


def fresh(tree: Path, args: list[str], cwd: Path, timeout: float = 600.0) -> dict[str, float]:
    """One fresh ``python -m <the CLI> ARGS`` from ``tree``: wall and CPU seconds, peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", cli_module(tree), *args],
        cwd=cwd,
        env=_env(tree),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            raise RuntimeError(f"gmcbot {' '.join(args[:3])} took over {timeout:.0f} s")
        time.sleep(0.005)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"gmcbot {' '.join(args)} exited {code}: {err.strip().splitlines()[-1:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "rss_bytes": usage.ru_maxrss * 1024.0}


def tree_probe(tree: Path, data_dir: Path, asks: int, messages: int, runs: int, embedder: str) -> dict[str, Any]:
    import json

    script = (ROOT / "benchmarks" / "tree_probe.py").read_text(encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", script, str(data_dir), str(EVAL_DIR), str(asks), str(messages), str(runs), embedder],
        cwd=data_dir,
        env=_env(tree),
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"tree probe exited {proc.returncode}: {proc.stderr.strip().splitlines()[-3:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    if not str(result["bot_file"]).startswith(str(tree)):
        raise RuntimeError(f"the probe imported bot from {result['bot_file']}, not {tree}")
    return result


def install_sizes() -> dict[str, float]:
    """MiB on disk of the packages the two runtime paths load, and of every installed
    distribution together."""
    from importlib.metadata import distributions

    sizes: dict[str, float] = {}
    total = 0.0
    for dist in distributions():
        size = 0
        for file in dist.files or []:
            try:
                size += os.path.getsize(file.locate())
            except OSError:
                continue
        name = (dist.metadata["Name"] or "").lower()
        sizes[name] = sizes.get(name, 0.0) + size / 2**20
        total += size / 2**20
    sizes["(all installed)"] = total
    return sizes


TORCH_STACK = (
    "torch",
    "transformers",
    "sentence-transformers",
    "scikit-learn",
    "scipy",
    "safetensors",
    "huggingface-hub",
    "tokenizers",
)
ONNX_STACK = ("onnxruntime", "tokenizers")


def _ratio(before: float, after: float) -> str:
    return f"{before / after:.1f}x" if after > 0 else "-"


def run(ctx: Context) -> Section:
    section = Section("compare", f"Before and after: commit {BASELINE_SHORT} against this tree")
    before = baseline_tree(ctx)
    if before is None:
        section.notes.append(f"Skipped: the baseline commit {BASELINE_SHORT} is not in this clone's history.")
        return section
    embedder = ctx.embedder_name
    trees = {"before": before, "after": ROOT}
    data = {name: ctx.data_dir(f"compare-{name}") for name in trees}
    base_args = {name: ["--data-dir", str(data[name]), "--embedder", embedder] for name in trees}

    setup = {name: fresh(tree, [*base_args[name], "index", "build"], data[name]) for name, tree in trees.items()}
    for name, tree in trees.items():  # the first check makes the baseline's exemplar cache; warm the file cache
        fresh(tree, [*base_args[name], "check", MESSAGE], data[name])
        if not ctx.smoke:
            fresh(tree, [*base_args[name], "ask", QUESTION], data[name])

    commands = {"--help": ["--help"], "check": ["check", MESSAGE], "ask": ["ask", QUESTION]}
    runs = max(3, ctx.runs) if not ctx.smoke else 1
    timings: dict[str, dict[str, list[dict[str, float]]]] = {n: {c: [] for c in commands} for n in trees}
    for _ in range(runs):
        for command, args in commands.items():
            for name, tree in trees.items():
                full = args if command == "--help" else [*base_args[name], *args]
                timings[name][command].append(fresh(tree, full, data[name]))

    def med(name: str, command: str, key: str) -> float:
        return median([t[key] for t in timings[name][command]])

    asks, messages = (10, 16) if ctx.smoke else (200, 200)
    warm = {
        name: tree_probe(tree, data[name], asks, messages, 1 if ctx.smoke else ctx.runs, embedder)
        for name, tree in trees.items()
    }

    rows = []
    for command in commands:
        b, a = med("before", command, "wall_s"), med("after", command, "wall_s")
        rows.append(
            [
                f"fresh `gmcbot {command}`{' TEXT' if command == 'check' else ' QUESTION' if command == 'ask' else ''}"
                " (s, wall)",
                f"{b:.2f}",
                f"{a:.2f}",
                _ratio(b, a),
            ]
        )
        b, a = med("before", command, "cpu_s"), med("after", command, "cpu_s")
        rows.append(["  the same, CPU seconds", f"{b:.2f}", f"{a:.2f}", _ratio(b, a)])
    rows.append(
        [
            "set-up: `gmcbot index build`, empty data folder (s)",
            f"{setup['before']['wall_s']:.1f}",
            f"{setup['after']['wall_s']:.1f}",
            "-",
        ]
    )
    wb, wa = warm["before"], warm["after"]
    rows.append(
        [
            "warm `ask` p50 (ms)",
            f"{wb['ask_p50_s'] * 1000:.1f}",
            f"{wa['ask_p50_s'] * 1000:.1f}",
            _ratio(wb["ask_p50_s"], wa["ask_p50_s"]),
        ]
    )
    rows.append(
        [
            "warm `ask` p95 (ms)",
            f"{wb['ask_p95_s'] * 1000:.1f}",
            f"{wa['ask_p95_s'] * 1000:.1f}",
            _ratio(wb["ask_p95_s"], wa["ask_p95_s"]),
        ]
    )
    rows.append(
        [
            f"screening, batched, {messages} distinct messages (msg/s)",
            f"{wb['screen_per_s']:.0f}",
            f"{wa['screen_per_s']:.0f}",
            _ratio(wa["screen_per_s"], wb["screen_per_s"]),
        ]
    )
    rows.append(
        [
            "peak RSS, fresh `check` (MiB)",
            fmt_mib(med("before", "check", "rss_bytes")),
            fmt_mib(med("after", "check", "rss_bytes")),
            _ratio(med("before", "check", "rss_bytes"), med("after", "check", "rss_bytes")),
        ]
    )
    rows.append(
        [
            "peak RSS, fresh `ask` (MiB)",
            fmt_mib(med("before", "ask", "rss_bytes")),
            fmt_mib(med("after", "ask", "rss_bytes")),
            _ratio(med("before", "ask", "rss_bytes"), med("after", "ask", "rss_bytes")),
        ]
    )
    rows.append(
        [
            "resident, warm process answering and screening (MiB)",
            fmt_mib(wb["resident_bytes"]),
            fmt_mib(wa["resident_bytes"]),
            _ratio(wb["resident_bytes"], wa["resident_bytes"]),
        ]
    )

    load: dict[str, dict[str, Any]] = {}
    if not ctx.smoke:
        from benchmarks.load import FULL_SIZES
        from tests.load.world import run_load

        events, senders = FULL_SIZES
        for name, tree in trees.items():
            load[name] = run_load(
                ctx.data_dir(f"compare-load-{name}"),
                events,
                senders,
                embedder,
                root=tree,
                embed_backend=backend_of(tree),
            )
        lb, la = load["before"], load["after"]
        rows.append(
            [
                f"Slack burst, {events} events from {senders} senders: answer p95 (ms)",
                f"{lb['question_p95_ms']:.0f}",
                f"{la['question_p95_ms']:.0f}",
                _ratio(lb["question_p95_ms"], la["question_p95_ms"]),
            ]
        )
        rows.append(
            [
                "  the same burst: flag notice p95 (ms)",
                f"{lb['notice_p95_ms']:.0f}",
                f"{la['notice_p95_ms']:.0f}",
                _ratio(lb["notice_p95_ms"], la["notice_p95_ms"]),
            ]
        )
        rows.append(
            [
                "  the same burst: ack p95 (ms) / lost / duplicated",
                f"{lb['ack_p95_ms']:.0f} / {lb['lost']} / {lb['duplicated']}",
                f"{la['ack_p95_ms']:.0f} / {la['lost']} / {la['duplicated']}",
                "-",
            ]
        )
        rows.append(
            ["  the same burst: server peak RSS (MiB)", f"{lb['peak_rss_mib']:.0f}", f"{la['peak_rss_mib']:.0f}", "-"]
        )

    section.tables.append(
        Table(
            f"Before ({BASELINE_SHORT}) and after, one run, {embedder} embedder; fresh-process figures are medians of "
            f"{runs} alternating starts, warm figures medians of {1 if ctx.smoke else ctx.runs} passes",
            ["measure", "before", "after", "better by"],
            rows,
            "Fresh processes start with the index (and, after, the ONNX model and exemplar vectors) already in the data "
            "folder, as after `make install`; wall seconds include the interpreter and every import. CPU seconds are "
            "the child's user and system time: on a shared machine they move less with other work than wall time. "
            "Warm figures come from one process per tree (`benchmarks/tree_probe.py`): 200 single-question asks, and "
            "`screen_many` on 200 distinct messages. Before, both tasks embed with PyTorch through sentence-transformers "
            "(bfloat16 where the CPU has it); after, with ONNX Runtime: answering on the float32 graph, screening on "
            "the int8 graph.",
        )
    )

    sizes = install_sizes()
    torch_mib = sum(sizes.get(p, 0.0) for p in TORCH_STACK)
    onnx_mib = sum(sizes.get(p, 0.0) for p in ONNX_STACK)
    section.tables.append(
        Table(
            "Install size on disk (MiB), and what each runtime path loads",
            ["what", "MiB"],
            [
                [
                    "every installed distribution (the .venv `make install` makes, with dev and bench extras)",
                    f"{sizes['(all installed)']:.0f}",
                ],
                ["PyTorch path: " + ", ".join(TORCH_STACK), f"{torch_mib:.0f}"],
                ["  of which torch", f"{sizes.get('torch', 0.0):.0f}"],
                ["ONNX path: " + ", ".join(ONNX_STACK), f"{onnx_mib:.0f}"],
                [
                    "the float32 and int8 graphs in the data folder (models/minilm-onnx)",
                    fmt_mib(sum(f.stat().st_size for f in (data["after"] / "models").rglob("*") if f.is_file())),
                ],
                ["onnx (needed only to make the graphs)", f"{sizes.get('onnx', 0.0):.0f}"],
            ],
            "torch stays installed: it makes the ONNX graphs at set-up (and is the reference backend). A process "
            "that answers or screens loads only the ONNX path and never imports torch.",
        )
    )
    section.headline = {
        "fresh": {
            name: {c: {k: round(med(name, c, k), 3) for k in ("wall_s", "cpu_s", "rss_bytes")} for c in commands}
            for name in trees
        },
        "setup_s": {name: round(setup[name]["wall_s"], 1) for name in trees},
        "warm": warm,
        "load": load,
        "install_mib": {
            k: round(v, 1) for k, v in sizes.items() if k in (*TORCH_STACK, *ONNX_STACK, "onnx", "(all installed)")
        },
    }
    summary = (
        f"Before ({BASELINE_SHORT}) -> after: fresh `check` {med('before', 'check', 'wall_s'):.2f} -> "
        f"{med('after', 'check', 'wall_s'):.2f} s, fresh `ask` {med('before', 'ask', 'wall_s'):.2f} -> "
        f"{med('after', 'ask', 'wall_s'):.2f} s, `--help` {med('before', '--help', 'wall_s'):.2f} -> "
        f"{med('after', '--help', 'wall_s'):.2f} s; warm ask p50/p95 {wb['ask_p50_s'] * 1000:.0f}/"
        f"{wb['ask_p95_s'] * 1000:.0f} -> {wa['ask_p50_s'] * 1000:.0f}/{wa['ask_p95_s'] * 1000:.0f} ms; "
        f"screening {wb['screen_per_s']:.0f} -> {wa['screen_per_s']:.0f} msg/s batched; "
        f"peak RSS of `check` {fmt_mib(med('before', 'check', 'rss_bytes'))} -> "
        f"{fmt_mib(med('after', 'check', 'rss_bytes'))} MiB"
    )
    if load:
        summary += (
            f"; burst answer p95 {load['before']['question_p95_ms']:.0f} -> {load['after']['question_p95_ms']:.0f} ms"
        )
    section.summary.append(summary + ".")
    return section
