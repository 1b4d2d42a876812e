"""One entry point for every report format (``meting report --format``)."""

from __future__ import annotations

import json

from meting.analysis.analysis import Analysis, analysis_json
from meting.report.html import render_html
from meting.report.status_csv import write_status_csv
from meting.report.xlsx import render_ods, render_xlsx

FORMATS = ("html", "pdf", "xlsx", "ods", "csv", "json")


class UnknownFormat(ValueError):
    pass


def render(analysis: Analysis, fmt: str, lang: str = "nl") -> dict[str, bytes]:
    """The files of the report, by file-name suffix: CSV gives one file per test kind
    ('-web.csv', '-mail.csv'); every other format one file ('.html', '.pdf', …)."""
    if fmt == "html":
        return {".html": render_html(analysis, lang).encode()}
    if fmt == "pdf":
        from meting.report.pdf import render_pdf
        return {".pdf": render_pdf(analysis, lang)}
    if fmt == "xlsx":
        return {".xlsx": render_xlsx(analysis, lang)}
    if fmt == "ods":
        return {".ods": render_ods(analysis, lang)}
    if fmt == "csv":  # with a byte order mark: spreadsheets then read it as UTF-8
        results = analysis.current.round
        return {f"-{kind}.csv": write_status_csv(results, kind).encode("utf-8-sig")
                for kind in analysis.current.kinds}
    if fmt == "json":
        text = json.dumps(analysis_json(analysis), ensure_ascii=False, indent=1)
        return {".json": (text + "\n").encode()}
    raise UnknownFormat(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
