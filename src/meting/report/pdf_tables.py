"""Long tables for the PDF drawn straight onto landscape A4 pages (ReportLab's canvas), for
rounds whose appendix and laggard list are thousands of rows: WeasyPrint lays out some 30
table rows per CPU-second, this some thousands. The pages look like the rest of the report:
the header row on every page, statuses as marks on the legend's colours, page numbers in
the footer, a word never broken (a header too long for its column is set smaller)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from meting.report.sheets import FILLS, HEADER_FILL

FONT_FILES = {"DejaVu": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
              "DejaVu-Bold": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"}
PAGE = landscape(A4)
MARGIN_X, MARGIN_Y = 40.0, 51.0  # 14 mm and 18 mm, as the report's @page
SIZE, HEAD_SIZE, LEADING = 7.0, 6.5, 9.0
BLUE = "#154273"
# Colours made once: ReportLab parses a colour given as text on every call, which was most
# of the drawing time.
FILL_COLOURS: dict[str, Color] = {s: HexColor(f"#{c}") for s, c in FILLS.items()}
LINE, INK, HEAD = HexColor("#bbbbbb"), HexColor("#1a1a1a"), HexColor(f"#{HEADER_FILL}")


@dataclass(frozen=True)
class Cell:
    text: str
    status: str | None = None  # a status of SPEC §3: drawn on its colour, centred


@dataclass(frozen=True)
class LongTable:
    title: str
    header: list[str]
    widths: list[float]  # shares of the page's width, summing to 1
    rows: list[list[Cell]]


@cache
def _fit_cached(text: str, width: float, font: str, size: float) -> float:
    return _fit(text, width, font, size)


@cache
def _fonts() -> None:
    for name, path in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, path))


def _wrap(text: str, width: float, font: str, size: float) -> list[str]:
    """Lines of at most ``width`` points, broken at spaces and after hyphens only."""
    words = [p for word in text.split() for p in _pieces(word)]
    lines: list[str] = []
    for word in words:
        glue = "" if not lines or lines[-1].endswith("-") else " "
        if lines and pdfmetrics.stringWidth(lines[-1] + glue + word, font, size) <= width:
            lines[-1] += glue + word
        else:
            lines.append(word)
    return lines or [""]


def _pieces(word: str) -> list[str]:
    """A word and the places it may break: after its own hyphens ('HTTPS-', 'doorverwijzing')."""
    parts = word.split("-")
    return [p + "-" for p in parts[:-1]] + [parts[-1]] if len(parts) > 1 else [word]


def _fit(text: str, width: float, font: str, size: float) -> float:
    """The font size at which every word of ``text`` fits ``width`` (never below 4 pt)."""
    words = [p for w in text.split() for p in _pieces(w)]
    widest = float(max((pdfmetrics.stringWidth(w, font, size) for w in words), default=0))
    return size if widest <= width else max(4.0, size * width / widest)


class _Pages:
    def __init__(self, canvas: Canvas | None, footer: str, first: int, total: int,
                 word: str = "") -> None:
        self.canvas, self.footer, self.number, self.total = canvas, footer, first - 1, total
        self.word = word
        self.count = 0

    def new(self) -> None:
        if self.canvas is not None and self.count:
            self.canvas.showPage()
        self.number += 1
        self.count += 1
        if self.canvas is not None:
            c = self.canvas
            c.setFont("DejaVu", 8)
            c.setFillColor("#555555")
            c.drawString(MARGIN_X, MARGIN_Y / 2, self.footer)
            c.drawRightString(PAGE[0] - MARGIN_X, MARGIN_Y / 2,
                              f"{self.word} {self.number} / {self.total}")


def draw(tables: Sequence[LongTable], footer: str, page_word: str, first: int,
         total: int) -> tuple[bytes, int]:
    """The pages (PDF) and their number; pages are numbered from ``first`` of ``total``."""
    _fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=PAGE, pageCompression=1)
    pages = _Pages(canvas, footer, first, total, page_word)
    _draw_all(tables, pages)
    canvas.showPage()
    canvas.save()
    return out.getvalue(), pages.count


def count_pages(tables: Sequence[LongTable]) -> int:
    _fonts()
    pages = _Pages(None, "", 1, 0)
    _draw_all(tables, pages)
    return pages.count


def _draw_all(tables: Sequence[LongTable], pages: _Pages) -> None:
    width = float(PAGE[0]) - 2 * MARGIN_X
    for table in tables:
        columns = [share * width for share in table.widths]
        head_sizes = [_fit(h, w - 4, "DejaVu-Bold", HEAD_SIZE) for h, w in zip(
            table.header, columns, strict=True)]
        head_lines = [_wrap(h, w - 4, "DejaVu-Bold", s) for h, w, s in zip(
            table.header, columns, head_sizes, strict=True)]
        head_height = max(len(lines) for lines in head_lines) * LEADING + 4
        pages.new()
        y = _title(pages, table.title)
        y = _head(pages, table, columns, head_lines, head_sizes, head_height, y)
        for row in table.rows:
            lines = [_wrap(cell.text, w - 4, "DejaVu", SIZE) if cell.status is None
                     else [cell.text] for cell, w in zip(row, columns, strict=True)]
            height = max(len(cell_lines) for cell_lines in lines) * LEADING + 2
            if y - height < MARGIN_Y:
                pages.new()
                y = _head(pages, table, columns, head_lines, head_sizes, head_height,
                          float(PAGE[1]) - MARGIN_Y)
            _row(pages.canvas, row, lines, columns, y, height)
            y -= height


def _title(pages: _Pages, title: str) -> float:
    y = float(PAGE[1]) - MARGIN_Y
    if pages.canvas is not None:
        pages.canvas.setFont("DejaVu-Bold", 11)
        pages.canvas.setFillColor(BLUE)
        pages.canvas.drawString(MARGIN_X, y - 11, title)
    return y - 20


def _head(pages: _Pages, table: LongTable, columns: list[float], lines: list[list[str]],
          sizes: list[float], height: float, y: float) -> float:
    c = pages.canvas
    if c is not None:
        x = MARGIN_X
        for w, cell_lines, size in zip(columns, lines, sizes, strict=True):
            c.setFillColor(HEAD)
            c.setStrokeColor(LINE)
            c.rect(x, y - height, w, height, stroke=1, fill=1)
            c.setFillColor(INK)
            c.setFont("DejaVu-Bold", size)
            for n, line in enumerate(cell_lines):
                c.drawString(x + 2, y - 2 - (n + 1) * LEADING + 2, line)
            x += w
    return y - height


def _row(c: Canvas | None, row: list[Cell], lines: list[list[str]], columns: list[float],
         y: float, height: float) -> None:
    """One row: coloured status cells, text, then its grid lines in one path."""
    if c is None:
        return
    x = MARGIN_X
    edges = [x]
    for cell, w, cell_lines in zip(row, columns, lines, strict=True):
        fill = FILL_COLOURS.get(cell.status or "")
        if fill is not None:
            c.setFillColor(fill)
            c.rect(x, y - height, w, height, stroke=0, fill=1)
        c.setFillColor(INK)
        if cell.status is not None:
            c.setFont("DejaVu", _fit_cached(cell.text, w - 2, "DejaVu", SIZE))
            c.drawCentredString(x + w / 2, y - LEADING + 1, cell.text)
        else:
            size = min(SIZE, *(_fit(line, w - 4, "DejaVu", SIZE) for line in cell_lines))
            c.setFont("DejaVu", size)
            for n, line in enumerate(cell_lines):
                c.drawString(x + 2, y - (n + 1) * LEADING + 1, line)
        x += w
        edges.append(x)
    c.setStrokeColor(LINE)
    c.lines([(edges[0], y - height, edges[-1], y - height), (edges[0], y, edges[-1], y),
             *[(e, y, e, y - height) for e in edges]])
