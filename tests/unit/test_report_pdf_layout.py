"""The PDF's layout, read from WeasyPrint's own layout boxes: nothing runs past the page
and no word is broken inside (a table header breaks only at spaces and hyphens)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from meting.report.html import render_html
from meting.report.numbers import Numbers
from tests.unit.report_data import hostile_analysis
from tests.unit.report_wide import wide_analysis

SLACK = 0.5  # CSS px of rounding


def layout(analysis: Any, lang: str) -> Any:
    from weasyprint import HTML

    return HTML(string=render_html(analysis, lang)).render()


def boxes(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", ()):
        yield from boxes(child)


def overflows(document: Any) -> list[str]:
    """Every box whose right edge lies past its page's content area."""
    found = []
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        right = page_box.content_box_x() + page_box.width
        for box in boxes(page_box):
            if box is page_box or type(box).__name__.startswith("Margin"):
                continue
            edge = box.position_x + box.margin_width()
            if edge > right + SLACK:
                text = getattr(box, "text", "") or type(box).__name__
                found.append(f"page {number}: {text!r} ends at {edge:.0f} > {right:.0f}")
    return found


def broken_words(document: Any) -> list[str]:
    """Tokens on a table cell's lines that are not whole words of the cell's text: a word
    may end a line only at a space or after its own hyphen ('HTTPS-' / 'doorverwijzing')."""
    found = []
    for page in document.pages:
        for box in boxes(page._page_box):
            if getattr(box, "element_tag", "") not in ("th", "td") or box.element is None:
                continue
            text = " ".join("".join(box.element.itertext()).split())
            lines = [" ".join("".join(t.text for t in boxes(line) if hasattr(t, "text")
                                      ).split())
                     for line in boxes(box) if type(line).__name__ == "LineBox"]
            found += [f"{token!r} of {text!r}" for line in lines for token in line.split()
                      if not _whole(token, text)]
    return found


def split_values(document: Any) -> list[str]:
    """Table cells holding one value (a figure, a date: class 'num' or 'date') laid out on
    more than one line, as '31 / december / 2017' in a narrow column."""
    found = []
    for page in document.pages:
        for box in boxes(page._page_box):
            element = getattr(box, "element", None)
            if (getattr(box, "element_tag", "") != "td" or element is None
                    or not {"num", "date"} & set(element.get("class", "").split())):
                continue
            lines = [line for line in boxes(box) if type(line).__name__ == "LineBox"]
            if len(lines) > 1:
                found.append(" ".join("".join(element.itertext()).split()))
    return found


CONTENT = frozenset({"p", "td", "li", "svg", "img", "dd"})


def lonely_headings(document: Any) -> list[str]:
    """Headings that end their page: nothing of what they head follows them there."""
    found = []
    for number, page in enumerate(document.pages, start=1):
        tags = [getattr(box, "element_tag", "") for box in boxes(page._page_box)]
        last_content = max((i for i, tag in enumerate(tags) if tag in CONTENT), default=-1)
        for i, box in enumerate(boxes(page._page_box)):
            if tags[i] in ("h2", "h3") and type(box).__name__ == "BlockBox" and i > last_content:
                found.append(f"page {number}: {' '.join(''.join(box.element.itertext()).split())}")
    return found


def _whole(token: str, text: str) -> bool:
    return bool(re.search(rf"(^|\s|-){re.escape(token)}(\s|$)", text)) or bool(
        token.endswith("-") and re.search(rf"(^|\s){re.escape(token)}", text))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_demo_like_report_fits_the_page(lang: str) -> None:
    document = layout(hostile_analysis(), lang)
    assert overflows(document) == []
    assert broken_words(document) == []
    assert split_values(document) == []
    assert lonely_headings(document) == []


def test_a_wide_round_with_large_counts_fits_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every layer and column, long names, ten earlier rounds; every count printed as wide
    as a 10,000-domain round prints it ('n=10.000')."""
    monkeypatch.setattr(Numbers, "count", lambda self, n: self.decimal(10_000 + n % 10))
    document = layout(wide_analysis(), "nl")
    assert overflows(document) == []
    assert broken_words(document) == []
    assert lonely_headings(document) == []
    assert split_values(document) == []


def test_the_check_sees_a_table_that_runs_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks themselves: a table wider than the page, a header broken inside a word."""
    from weasyprint import HTML

    cells = "".join(f"<td>cell{n:03d}wide</td>" for n in range(40))
    narrow = "<th style='width: 1px'>Uitvoeringsorganisaties</th>"
    document = HTML(string=f"<table><tr>{cells}</tr></table>"
                    f"<table style='table-layout: fixed; width: 60px'><tr>{narrow}</tr>"
                    "</table><style>th { overflow-wrap: anywhere }</style>").render()
    assert overflows(document)
    assert broken_words(document)


def test_the_check_sees_a_date_split_over_lines() -> None:
    from weasyprint import HTML

    document = HTML(string="<table style='width: 60px'><tr><td class='date'>31 december 2017"
                           "</td></tr></table>").render()
    assert split_values(document) == ["31 december 2017"]
