"""Inline SVG charts (no script): bars per standard or layer, lines over rounds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

from markupsafe import Markup

PALETTE = ("#154273", "#e17000", "#39870c", "#a90061", "#007bc7", "#673327", "#ca005d",
           "#8fcae7")
FONT = "font-family='DejaVu Sans, Arial, sans-serif'"


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;", "'": "&apos;"})


def bar_chart(title: str, bars: Sequence[tuple[str, float | None, str]],
              width: int = 640) -> Markup:
    """Horizontal bars from 0 to 100 %; each bar is (label, percentage, the figure as printed,
    e.g. '63% (n=8)': printed figures are rounded by the caller, from exact values)."""
    label_w, bar_h, gap, top = 190, 18, 6, 28
    plot_w = width - label_w - 90
    height = top + len(bars) * (bar_h + gap) + 22
    parts = [_open(width, height, title),
             f"<text x='0' y='16' {FONT} font-size='13' font-weight='bold'>{escape(title)}</text>"]
    for tick in (0, 25, 50, 75, 100):
        x = label_w + plot_w * tick / 100
        parts.append(f"<line x1='{x:.1f}' y1='{top - 4}' x2='{x:.1f}' y2='{height - 18}' "
                     "stroke='#ccc' stroke-width='1'/>"
                     f"<text x='{x:.1f}' y='{height - 4}' {FONT} font-size='10' "
                     f"text-anchor='middle' fill='#555'>{tick}%</text>")
    for i, (label, value, note) in enumerate(bars):
        y = top + i * (bar_h + gap)
        parts.append(f"<text x='{label_w - 6}' y='{y + 13}' {FONT} font-size='11' "
                     f"text-anchor='end'>{escape(label)}</text>")
        if value is not None:
            w = plot_w * max(0.0, min(value, 100.0)) / 100
            parts.append(f"<rect class='bar' x='{label_w}' y='{y}' width='{w:.1f}' "
                         f"height='{bar_h}' fill='{PALETTE[0]}'/>")
        parts.append(f"<text x='{label_w + plot_w + 6}' y='{y + 13}' {FONT} font-size='11'>"
                     f"{escape(note)}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(title: str, x_labels: Sequence[str],
               series: Sequence[tuple[str, Sequence[float | None]]], width: int = 640) -> Markup:
    """Percentages (0–100) over rounds; a gap where a round did not measure the series."""
    left, right, top, plot_h = 70, 60, 28, 180
    per_row = 3 if all(len(name) <= 28 for name, _ in series) else 2
    legend_h = 16 * ((len(series) + per_row - 1) // per_row)
    height = top + plot_h + 30 + legend_h
    plot_w = width - left - right
    step = plot_w / max(len(x_labels) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + (i * step if len(x_labels) > 1 else plot_w / 2)
        return x, top + plot_h * (1 - v / 100)

    parts = [_open(width, height, title),
             f"<text x='0' y='16' {FONT} font-size='13' font-weight='bold'>{escape(title)}</text>"]
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        parts.append(f"<line x1='{left}' y1='{y:.1f}' x2='{width - right}' y2='{y:.1f}' "
                     f"stroke='#ddd'/><text x='{left - 4}' y='{y + 3:.1f}' {FONT} "
                     f"font-size='10' text-anchor='end' fill='#555'>{tick}%</text>")
    for i, label in enumerate(x_labels):
        x, _ = xy(i, 0)
        parts.append(f"<text x='{x:.1f}' y='{top + plot_h + 14}' {FONT} font-size='10' "
                     f"text-anchor='middle' fill='#555'>{escape(label)}</text>")
    for n, (name, values) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        parts += _polyline(values, xy, colour)
        lx, ly = (n % per_row) * (width // per_row), top + plot_h + 30 + 16 * (n // per_row)
        parts.append(f"<rect x='{lx}' y='{ly - 9}' width='10' height='10' fill='{colour}'/>"
                     f"<text x='{lx + 14}' y='{ly}' {FONT} font-size='11'>{escape(name)}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def _polyline(values: Sequence[float | None], xy: Callable[[int, float], tuple[float, float]],
              colour: str) -> list[str]:
    parts: list[str] = []
    run: list[tuple[float, float]] = []
    for i, v in enumerate([*values, None]):
        if v is not None:
            run.append(xy(i, v))
            continue
        if run:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            parts.append(f"<polyline class='line' points='{points}' fill='none' "
                         f"stroke='{colour}' stroke-width='2.5'/>")
            parts += [f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3.5' fill='{colour}'/>"
                      for x, y in run]
        run = []
    return parts


def _open(width: int, height: int, title: str) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' role='img' width='{width}' "
            f"height='{height}' viewBox='0 0 {width} {height}' class='chart'>"
            f"<title>{escape(title)}</title>")
