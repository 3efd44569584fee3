"""What every benchmark section shares: the run configuration, tables, timing
statistics, the machine description, evaluation data and a bot factory.

Contract: a section is a function ``run(ctx: Context) -> Section``; it measures, never
asserts, and puts every figure it wants published into the ``Section`` it returns.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import Settings
from bot.evaluation import read_jsonl
from index.embedders import Embedder, make_embedder

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT / "eval"


@dataclass(frozen=True)
class Sizes:
    """How much work each section does; ``full`` for the published run, ``smoke`` for CI."""

    questions: int | None  # None: every development question
    messages: int | None
    latency_asks: int
    throughput_messages: int
    cold_runs: int
    scale_paragraphs: tuple[int, ...]
    scale_queries: int
    embed_latency_queries: int
    embed_throughput_texts: int | None  # None: every index view text
    embed_quality: bool  # build an index per ONNX variant and score the dev sets


FULL = Sizes(None, None, 200, 200, 5, (1_000, 10_000, 100_000), 200, 200, None, True)
SMOKE = Sizes(6, 8, 10, 8, 1, (100, 500), 20, 5, 32, False)


@dataclass
class Context:
    """One benchmark run: sizes, repetitions, where results go and shared state."""

    smoke: bool
    runs: int
    out_dir: Path  # benchmarks.md's folder; plots go to out_dir / "benchmarks"
    work_dir: Path  # scratch: index folders, exported models
    sizes: Sizes
    embedder_name: str = "minilm"  # "hashing" in smoke runs: the code paths without the model's cost
    started: float = field(default_factory=time.time)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def plot_dir(self) -> Path:
        path = self.out_dir / "benchmarks"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def embedder(self) -> Embedder:
        """The run's embedder (the shipped all-MiniLM-L6-v2 unless a smoke run), one
        instance per process."""
        return make_embedder(self.embedder_name)

    def data_dir(self, name: str) -> Path:
        path = self.work_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def settings(self, name: str = "bot") -> Settings:
        """Default settings (no gmcbot.toml, no environment) with a scratch data folder."""
        return Settings(data_dir=self.data_dir(name), embedder=self.embedder_name)

    def bot(self) -> Any:
        """The shipped bot (hybrid retrieval, MiniLM on PyTorch for answering and int8 ONNX
        for screening), index built once per run; the seconds that first build took (model
        already loaded) go to ``cache["first_build_s"]``, making the ONNX graph to
        ``cache["screen_model_s"]``."""
        if "bot" not in self.cache:
            from bot.service import GuidanceBot

            bot = GuidanceBot(self.settings())  # the shipped configuration: embedders per task
            bot.embedder.encode(["load the model first"])
            prepare = getattr(bot.screen_embedder, "prepare", None)
            self.cache["screen_model_s"] = time_once(prepare) if callable(prepare) else 0.0
            self.cache["first_build_s"] = time_once(bot.warm_up)
            self.cache["bot"] = bot
        return self.cache["bot"]

    def questions(self) -> list[dict[str, Any]]:
        rows = read_jsonl(EVAL_DIR / "questions.jsonl", ("question", "relevant"))
        return rows[: self.sizes.questions] if self.sizes.questions else rows

    def messages(self) -> list[dict[str, Any]]:
        rows = read_jsonl(EVAL_DIR / "messages.jsonl", ("text", "risky"))
        return rows[: self.sizes.messages] if self.sizes.messages else rows


@dataclass
class Table:
    """A titled table; cells are already formatted strings."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""

    def markdown(self) -> str:
        lines = [
            f"**{self.title}**",
            "",
            "| " + " | ".join(self.columns) + " |",
            "|" + "|".join("---" for _ in self.columns) + "|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.note:
            lines += ["", self.note]
        return "\n".join(lines)

    def text(self) -> str:
        widths = [
            max(len(c), *(len(r[i]) for r in self.rows)) if self.rows else len(c) for i, c in enumerate(self.columns)
        ]

        def line(cells: Sequence[str]) -> str:
            return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()

        out = [self.title, line(self.columns), line(["-" * w for w in widths])]
        out += [line(r) for r in self.rows]
        return "\n".join(out)


@dataclass
class Section:
    """A section's published results: tables, plain-text notes, plot file names, the
    one-line ``summary`` items for the report's headlines, and ``headline`` figures
    (written to results.json)."""

    key: str
    title: str
    summary: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    headline: dict[str, Any] = field(default_factory=dict)


# -- statistics -------------------------------------------------------------------


def percentiles(samples: Sequence[float], points: Sequence[float] = (50, 95, 99)) -> list[float]:
    """Percentiles (linear interpolation) of ``samples``."""
    return [float(np.percentile(np.asarray(samples, dtype=np.float64), p)) for p in points]


def median(samples: Sequence[float]) -> float:
    return float(np.median(np.asarray(samples, dtype=np.float64)))


def repeat(runs: int, fn: Callable[[], float]) -> float:
    """The median of ``runs`` calls of ``fn`` (each returns one measurement)."""
    return median([fn() for _ in range(max(1, runs))])


def time_once(fn: Callable[..., object], *args: Any) -> float:
    """Seconds one call of ``fn(*args)`` takes."""
    return timed(fn, *args)[0]


def timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """``(seconds, result)`` of one call of ``fn(*args)``."""
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def cycle(items: Sequence[Any], n: int) -> list[Any]:
    """``n`` items taken from ``items`` in order, starting again at the end."""
    return [items[i % len(items)] for i in range(n)]


def fmt(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}"


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1000.0
    return f"{ms:.2f}" if ms < 10 else f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def fmt_mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:.1f}"


def current_rss() -> int:
    """This process's resident set size now, in bytes (Linux ``/proc``)."""
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# -- the machine and the child processes ------------------------------------------


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration, ValueError):
        mem_kib = 0
    versions = {}
    for name in ("torch", "sentence-transformers", "faiss-cpu", "onnxruntime", "numpy", "presidio-analyzer"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing optional package is reported as such
            versions[name] = "not installed"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 2**20, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def run_child(module: str, args: Sequence[str], timeout: float = 300.0) -> dict[str, Any]:
    """Run ``python -m module args`` from the project root and parse the JSON object it
    prints last on stdout. Raises RuntimeError with its stderr tail on failure."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
        raise RuntimeError(f"{module} exited {proc.returncode}: {tail}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result
