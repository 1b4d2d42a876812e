"""The report as an A4 PDF (WeasyPrint): the HTML report with print CSS, a table of contents
with page numbers and numbered pages.

A large round (over ``appendix_up_to_domains`` in ``report/data/pdf.yaml``) keeps its
appendix and laggard lists, but they are drawn after the document on landscape pages by
``pdf_tables`` (WeasyPrint would take minutes for thousands of table rows); the document
says so, and the footer counts every page. Scorecards and per-domain details of a round
with many organisations stay in the HTML."""

from __future__ import annotations

import io
from functools import cache
from importlib import resources
from typing import Any

import yaml

from meting.analysis.analysis import Analysis
from meting.report.html import render_html
from meting.report.pdf_tables import Cell, LongTable, count_pages, draw
from meting.report.view import ReportView


@cache
def limits() -> dict[str, Any]:
    text = (resources.files("meting.report") / "data/pdf.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def render_pdf(analysis: Analysis, lang: str = "nl") -> bytes:
    from weasyprint import HTML  # imported here: it loads pango, which the rest never needs

    rows = analysis.current.round.rows
    organisations = {row.organisation for row in rows}
    domains = {row.domain for row in rows}
    with_details = len(organisations) <= limits()["details_up_to_organisations"]
    if len(domains) <= limits()["appendix_up_to_domains"]:
        pdf: bytes = HTML(string=render_html(analysis, lang,
                                             with_details=with_details)).write_pdf()
        return pdf
    view = ReportView(analysis, lang)
    tables = long_tables(view)
    extra = count_pages(tables)
    options = {"with_details": with_details, "with_appendix": False, "tables_at_end": True}
    first = HTML(string=render_html(analysis, lang, **options)).render()
    # the footer says "page n / total": laid out again with the total known (the document
    # without its long tables is a few dozen pages)
    total = len(first.pages) + extra
    document = HTML(string=render_html(analysis, lang, total_pages=total, **options)).render()
    main = document.write_pdf()
    title = f"{view.t('title')} — {view.round.label}"
    appended, _ = draw(tables, title, view.t("page"), len(document.pages) + 1, total)
    return _join(main, appended)


def long_tables(view: ReportView) -> list[LongTable]:
    """The appendix per layer and kind, then the laggards per umbrella."""
    t = view.t
    tables = []
    for label, kind, cols, rows in view.appendix():
        share = 0.78 / max(len(cols), 1)
        tables.append(LongTable(
            f"{t('s_appendix')}: {label} — {t.kind(kind)}",
            [t("domain"), *[t.column(c) for c in cols]], [0.22] + [share] * len(cols),
            [[Cell(row.domain + (" *" if view.reacted(row) else "")),
              *[Cell(t.mark(s), s) if (s := row.columns.get(c)) else Cell("")
                for c in cols]] for row in rows]))
    for umbrella, orgs in view.a.laggards.items():
        tables.append(LongTable(
            f"{t('s_laggards')}: {umbrella or t('no_umbrella')}",
            [t("organisation"), t("domain"), t("misses")], [0.32, 0.26, 0.42],
            [[Cell(o.organisation), Cell(d.domain + (" *" if d.reaction else "")),
              Cell(view.misses_text(d.misses))] for o in orgs for d in o.domains]))
    return tables


def _join(first: bytes, second: bytes) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.append(io.BytesIO(first))
    writer.append(io.BytesIO(second))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
