"""Inline SVG charts (no script): bars per standard or layer, lines over rounds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

from markupsafe import Markup

# Distinct colours (the Rijkshuisstijl's dark ones first) and, for print in grey and for
# readers who do not tell colours apart, a marker shape per series as well.
PALETTE = ("#154273", "#e17000", "#39870c", "#a90061", "#007bc7", "#673327", "#ca005d",
           "#777c00", "#42145f", "#d52b1e")
MARKERS = ("circle", "square", "triangle", "diamond", "cross")
# A dash pattern per series too: where two series have the same values the later line lies
# on the earlier one, and only its gaps let the earlier colour show.
DASHES = ("", "8,5", "2,4", "10,4,2,4", "5,3")
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
        colour, marker = PALETTE[n % len(PALETTE)], MARKERS[n % len(MARKERS)]
        dash = _dash(DASHES[n % len(DASHES)])
        parts += _polyline(values, xy, colour, marker, dash=dash)
        lx, ly = (n % per_row) * (width // per_row), top + plot_h + 30 + 16 * (n // per_row)
        parts.append(f"<line x1='{lx}' y1='{ly - 4}' x2='{lx + 16}' y2='{ly - 4}' "
                     f"stroke='{colour}' stroke-width='2.5'{dash}/>"
                     f"{_marker(marker, lx + 8, ly - 4, colour)}"
                     f"<text x='{lx + 22}' y='{ly}' {FONT} font-size='11'>{escape(name)}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def small_multiples(title: str, x_labels: Sequence[str],
                    series: Sequence[tuple[str, Sequence[float | None], str]],
                    width: int = 640, per_row: int = 3) -> Markup:
    """One small panel per series (name, percentages per round, the latest as printed), on
    the same 0–100 scale: ten rounds of nine standards stay readable, no legend to match."""
    gap, head, plot_h, foot = 14, 30, 70, 16
    panel_w = (width - gap * (per_row - 1)) / per_row
    panel_h = head + plot_h + foot
    rows = (len(series) + per_row - 1) // per_row
    height = 24 + rows * (panel_h + gap)
    parts = [_open(width, height, title),
             f"<text x='0' y='16' {FONT} font-size='13' font-weight='bold'>{escape(title)}</text>"]
    for n, (name, values, latest) in enumerate(series):
        x0 = (n % per_row) * (panel_w + gap)
        y0 = 24 + (n // per_row) * (panel_h + gap)
        parts += _panel(x0, y0, panel_w, (head, plot_h), name, latest, x_labels, values)
    parts.append("</svg>")
    return Markup("".join(parts))


def _panel(x0: float, y0: float, w: float, sizes: tuple[int, int], name: str, latest: str,
           x_labels: Sequence[str], values: Sequence[float | None]) -> list[str]:
    head, plot_h = sizes
    left, right = 30, 8
    plot_w = w - left - right
    top = y0 + head
    step = plot_w / max(len(x_labels) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = x0 + left + (i * step if len(x_labels) > 1 else plot_w / 2)
        return x, top + plot_h * (1 - v / 100)

    parts = [f"<text x='{x0:.1f}' y='{y0 + 12:.1f}' {FONT} font-size='10.5' "
             f"font-weight='bold'>{escape(name)}</text>"
             f"<text x='{x0:.1f}' y='{y0 + 25:.1f}' {FONT} font-size='10'>{escape(latest)}</text>"]
    for tick in (0, 50, 100):
        y = top + plot_h * (1 - tick / 100)
        parts.append(f"<line x1='{x0 + left:.1f}' y1='{y:.1f}' x2='{x0 + w - right:.1f}' "
                     f"y2='{y:.1f}' stroke='#ddd'/><text x='{x0 + left - 3:.1f}' y='{y + 3:.1f}' "
                     f"{FONT} font-size='8' text-anchor='end' fill='#555'>{tick}%</text>")
    shown = {0, len(x_labels) - 1}
    for i in sorted(shown):
        x, _ = xy(i, 0)
        anchor = "start" if i == 0 and len(x_labels) > 1 else "end" if i else "middle"
        parts.append(f"<text x='{x:.1f}' y='{top + plot_h + 11:.1f}' {FONT} font-size='8' "
                     f"text-anchor='{anchor}' fill='#555'>{escape(x_labels[i])}</text>")
    parts += _polyline(values, xy, PALETTE[0], "circle", radius=2.2)
    return parts


def _marker(shape: str, x: float, y: float, colour: str, r: float = 3.5) -> str:
    if shape == "square":
        return (f"<rect x='{x - r:.1f}' y='{y - r:.1f}' width='{2 * r:.1f}' height='{2 * r:.1f}' "
                f"fill='{colour}'/>")
    if shape == "triangle":
        return (f"<polygon points='{x:.1f},{y - r * 1.2:.1f} {x - r * 1.1:.1f},{y + r:.1f} "
                f"{x + r * 1.1:.1f},{y + r:.1f}' fill='{colour}'/>")
    if shape == "diamond":
        return (f"<polygon points='{x:.1f},{y - r * 1.3:.1f} {x + r * 1.3:.1f},{y:.1f} "
                f"{x:.1f},{y + r * 1.3:.1f} {x - r * 1.3:.1f},{y:.1f}' fill='{colour}'/>")
    if shape == "cross":
        return (f"<path d='M{x - r:.1f},{y - r:.1f}L{x + r:.1f},{y + r:.1f}M{x - r:.1f},"
                f"{y + r:.1f}L{x + r:.1f},{y - r:.1f}' stroke='{colour}' stroke-width='2'/>")
    return f"<circle cx='{x:.1f}' cy='{y:.1f}' r='{r:.1f}' fill='{colour}'/>"


def _dash(pattern: str) -> str:
    return f" stroke-dasharray='{pattern}'" if pattern else ""


def _polyline(values: Sequence[float | None], xy: Callable[[int, float], tuple[float, float]],
              colour: str, marker: str = "circle", radius: float = 3.5,
              dash: str = "") -> list[str]:
    parts: list[str] = []
    run: list[tuple[float, float]] = []
    for i, v in enumerate([*values, None]):
        if v is not None:
            run.append(xy(i, v))
            continue
        if run:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            parts.append(f"<polyline class='line' points='{points}' fill='none' "
                         f"stroke='{colour}' stroke-width='2.5'{dash}/>")
            parts += [_marker(marker, x, y, colour, radius) for x, y in run]
        run = []
    return parts


def _open(width: int, height: int, title: str) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' role='img' width='{width}' "
            f"height='{height}' viewBox='0 0 {width} {height}' class='chart'>"
            f"<title>{escape(title)}</title>")
