"""PNG charts for docs/benchmarks.md (matplotlib, no display needed).

Each function writes one file and returns its name relative to the plot folder's
parent (``benchmarks/NAME.png``), ready for a Markdown image link."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

KIND_COLOURS = {"exact": "C0", "hnsw": "C1", "ivf": "C2"}


def _pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (imported on first use: plots are optional)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
    return f"{path.parent.name}/{path.name}"


def grouped_bars(
    path: Path,
    groups: Sequence[str],
    series: Mapping[str, Sequence[float]],
    title: str,
    ylabel: str,
    ylim: tuple[float, float] | None = None,
) -> str:
    """One cluster of bars per group, one bar per series."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        bars = ax.bar(xs, values, width, label=name)
        if len(groups) * len(series) <= 12:  # labels on crowded charts overlap
            ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    ax.set_xticks(range(len(groups)), groups, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    if ylim:
        ax.set_ylim(*ylim)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=len(series), frameon=False)
    return _save(fig, path)


def lines_by_size(
    path: Path,
    sizes: Sequence[int],
    panels: Mapping[str, Mapping[str, Sequence[float]]],
    title: str,
    log_y: Sequence[str] = (),
) -> str:
    """One panel per metric, each a line per index kind against corpus size (log x)."""
    plt = _pyplot()
    cols = 2
    rows = (len(panels) + 1) // 2
    fig, axes = plt.subplots(rows, cols, figsize=(9, 3.3 * rows), squeeze=False)
    for ax, (metric, series) in zip(axes.flat, panels.items(), strict=False):
        seen: dict[str | None, int] = {}
        for name, values in series.items():
            colour = KIND_COLOURS.get(name.split()[0].strip(",").lower())
            style = ("-", "--", ":", "-.")[seen.get(colour, 0) % 4]  # same kind, another setting
            seen[colour] = seen.get(colour, 0) + 1
            ax.plot(sizes, values, marker="o", label=name, color=colour, linestyle=style)
        ax.set_xscale("log")
        ax.set_xticks(list(sizes), [f"{s:,}" for s in sizes], fontsize=8)
        ax.minorticks_off()
        if metric in log_y:
            ax.set_yscale("log")
        ax.set_xlabel("synthetic corpus size (paragraphs)", fontsize=8)
        ax.set_title(metric, fontsize=9)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def histogram(path: Path, samples_ms: Sequence[float], title: str, marks: Mapping[str, float]) -> str:
    """A latency histogram with vertical lines at the named values."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.3))
    ax.hist(samples_ms, bins=40, color="#4c72b0")
    for i, (name, value) in enumerate(marks.items()):
        ax.axvline(value, color=f"C{i + 1}", linestyle="--", label=f"{name} {value:.1f} ms")
    ax.set_xlabel("milliseconds")
    ax.set_ylabel("questions")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path)
