"""Charts as inline SVG, drawn on the server (no JavaScript): each returns a :class:`Chart`
holding the SVG markup, a one-sentence summary for screen readers, and the data as rows
for the table shown beside it. Colours are from a palette readable by people with common
colour-vision deficiencies, and every value is also printed in the table."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

# Okabe-Ito, then greys: distinguishable with deuteranopia and protanopia.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#6b6b6b")
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 56


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    summary: str
    svg: Markup
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _svg(key: str, title: str, summary: str, body: list[str], height: int = HEIGHT) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{key}-title {key}-desc" class="chart" data-chart="{key}">'
        f'<title id="{key}-title">{escape(title)}</title><desc id="{key}-desc">{escape(summary)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _axis(ymax: float, unit: str = "") -> list[str]:
    parts = []
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        value = ymax * i / 4
        y = TOP + plot_h - plot_h * i / 4
        label = f"{value:.0f}{unit}" if ymax >= 4 or unit else f"{value:.1f}"
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{escape(label)}</text>'
        )
    return parts


def _nice_max(value: float) -> float:
    if value <= 4:
        return 4.0
    step = 10 ** (len(str(int(value))) - 1)
    return float(((int(value) // step) + 1) * step)


def stacked_bars(key: str, title: str, labels: list[str], series: dict[str, list[int]]) -> Chart:
    """One bar per label (e.g. week), stacked by series (e.g. category)."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    ymax = _nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    body = _axis(ymax)
    slot = plot_w / max(len(labels), 1)
    for i, label in enumerate(labels):
        x = LEFT + i * slot + slot * 0.15
        y = float(TOP + plot_h)
        for s, (name, values) in enumerate(series.items()):
            if not values[i]:
                continue
            h = plot_h * values[i] / ymax
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}" data-series="{escape(name)}" data-label="{escape(label)}" '
                f'data-value="{values[i]}"><title>{escape(f"{label}: {name} {values[i]}")}</title></rect>'
            )
        body.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'class="tick">{escape(label[-3:] if len(labels) > 6 else label)}</text>'
        )
    legend_y = HEIGHT - 18
    lx = LEFT
    for s, name in enumerate(series):
        body.append(
            f'<rect x="{lx}" y="{legend_y - 9}" width="10" height="10" fill="{PALETTE[s % len(PALETTE)]}"/>'
            f'<text x="{lx + 14}" y="{legend_y}" class="legend">{escape(name)}</text>'
        )
        lx += 18 + 7 * len(name)
    total = sum(totals)
    summary = (
        f"{total} in all over {len(labels)} periods"
        + (f"; most in {labels[totals.index(max(totals))]}" if total else "")
        + "."
    )
    headers = ("period", *series, "total")
    rows = tuple((label, *(str(series[n][i]) for n in series), str(totals[i])) for i, label in enumerate(labels))
    return Chart(key, title, summary, _svg(key, title, summary, body), headers, rows)


def bars(key: str, title: str, items: list[tuple[str, float]], *, unit: str = "", percent: bool = False) -> Chart:
    """Horizontal bars, one per item (label, value); ``percent`` values are 0-1."""
    row_h = 26
    height = TOP + row_h * max(len(items), 1) + 24
    label_w = 190
    plot_w = WIDTH - label_w - 70
    vmax = max((v for _, v in items), default=0) or 1
    if percent:
        vmax = 1.0
    body: list[str] = []
    for i, (label, value) in enumerate(items):
        y = TOP + i * row_h
        w = plot_w * value / vmax
        shown = f"{value:.0%}" if percent else (f"{value:.1f}{unit}" if unit else f"{value:g}")
        body.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" class="tick">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row_h - 8}" '
            f'fill="{PALETTE[i % len(PALETTE)]}" data-label="{escape(label)}" data-value="{value:g}">'
            f"<title>{escape(f'{label}: {shown}')}</title></rect>"
            f'<text x="{label_w + max(w, 1) + 6:.1f}" y="{y + 16}" class="value">{escape(shown)}</text>'
        )
    if not items:
        body.append(f'<text x="{WIDTH / 2}" y="{TOP + 16}" text-anchor="middle" class="tick">No data yet</text>')
    summary = "; ".join(f"{label} {f'{v:.0%}' if percent else f'{v:g}{unit}'}" for label, v in items) or "No data yet."
    rows = tuple((label, f"{value:.0%}" if percent else f"{value:g}{unit}") for label, value in items)
    return Chart(key, title, summary, _svg(key, title, summary, body, height), ("", "value"), rows)


def line(
    key: str, title: str, labels: list[str], values: list[float | None], *, percent: bool = False, unit: str = ""
) -> Chart:
    """A line over periods; None leaves a gap (no data that period)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    known = [v for v in values if v is not None]
    ymax = 1.0 if percent else _nice_max(max(known, default=0))
    body = _axis(ymax * 100 if percent else ymax, "%" if percent else "")
    slot = plot_w / max(len(labels), 1)
    points: list[tuple[float, float] | None] = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = LEFT + i * slot + slot / 2
        body.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" class="tick">'
            f"{escape(label[-3:] if len(labels) > 6 else label)}</text>"
        )
        if value is None:
            points.append(None)
            continue
        y = TOP + plot_h - plot_h * value / ymax
        points.append((x, y))
        shown = f"{value:.0%}" if percent else f"{value:.1f}{unit}"
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{PALETTE[0]}" data-label="{escape(label)}" '
            f'data-value="{value:.4g}"><title>{escape(f"{label}: {shown}")}</title></circle>'
        )
    run: list[str] = []
    for point in [*points, None]:
        if point is None:
            if len(run) > 1:
                body.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
            run = []
        else:
            run.append(f"{point[0]:.1f},{point[1]:.1f}")
    fmt = (lambda v: f"{v:.0%}") if percent else (lambda v: f"{v:.1f}{unit}")
    summary = (
        "; ".join(f"{label} {fmt(v)}" for label, v in zip(labels, values, strict=True) if v is not None)
        or "No data yet."
    )
    rows = tuple((label, fmt(v) if v is not None else "-") for label, v in zip(labels, values, strict=True))
    return Chart(key, title, summary, _svg(key, title, summary, body), ("period", "value"), rows)
