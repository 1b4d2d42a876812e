"""One entry point for every report format (``meting report --format``)."""

from __future__ import annotations

import json

from meting.analysis.analysis import Analysis, analysis_json
from meting.report.html import render_detail_pages, render_html
from meting.report.pdf import limits
from meting.report.status_csv import write_status_csv
from meting.report.xlsx import render_ods, render_xlsx

FORMATS = ("html", "pdf", "xlsx", "ods", "csv", "json")


class UnknownFormat(ValueError):
    pass


def render(analysis: Analysis, fmt: str, lang: str = "nl",
           name: str | None = None) -> dict[str, bytes]:
    """The files of the report, by what follows its name: CSV gives one file per test kind
    ('-web.csv', '-mail.csv'); HTML the page ('.html') and a page per domain
    ('-details/<domain>.html', linked from the page, the XLSX and the ODS); every other
    format one file ('.pdf', …). ``name``: the report's file name without suffix
    (default ``report-<round>``), which the links between the files use."""
    name = name or f"report-{analysis.current.round.round_id}"
    if fmt == "html":
        organisations = {row.organisation for row in analysis.current.round.rows}
        page = render_html(analysis, lang, details_href=f"{name}-details", with_details=len(
            organisations) <= limits()["details_up_to_organisations"])
        files = {".html": page.encode()}
        for file, text in render_detail_pages(analysis, lang, f"../{name}.html").items():
            files[f"-details/{file}"] = text.encode()
        return files
    if fmt == "pdf":
        from meting.report.pdf import render_pdf
        return {".pdf": render_pdf(analysis, lang)}
    if fmt == "xlsx":
        return {".xlsx": render_xlsx(analysis, lang, f"{name}-details")}
    if fmt == "ods":
        return {".ods": render_ods(analysis, lang, f"{name}-details")}
    if fmt == "csv":  # with a byte order mark: spreadsheets then read it as UTF-8
        results = analysis.current.round
        return {f"-{kind}.csv": write_status_csv(results, kind).encode("utf-8-sig")
                for kind in analysis.current.kinds}
    if fmt == "json":
        text = json.dumps(analysis_json(analysis), ensure_ascii=False, indent=1)
        return {".json": (text + "\n").encode()}
    raise UnknownFormat(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
