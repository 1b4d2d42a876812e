"""The report as an A4 PDF (WeasyPrint): the HTML report with print CSS, a table of contents
with page numbers and numbered pages. Large rounds leave the appendix tables, scorecards and
domain details to the HTML (limits in ``report/data/pdf.yaml``; the PDF says so)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from meting.analysis.analysis import Analysis
from meting.report.html import render_html


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
    html = render_html(
        analysis, lang,
        with_details=len(organisations) <= limits()["details_up_to_organisations"],
        with_appendix=len(domains) <= limits()["appendix_up_to_domains"])
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
