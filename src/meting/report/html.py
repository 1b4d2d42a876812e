"""The report as one self-contained HTML file (inline CSS and SVG, no script)."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from meting.analysis.analysis import Analysis
from meting.report.view import ReportView


@cache
def environment() -> Environment:
    return Environment(loader=PackageLoader("meting.report", "templates"),
                       autoescape=select_autoescape(["j2"], default=True),
                       undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False)


def render_html(analysis: Analysis, lang: str = "nl", *, with_details: bool = True,
                with_appendix: bool = True) -> str:
    view = ReportView(analysis, lang, with_details=with_details, with_appendix=with_appendix)
    return environment().get_template("report.html.j2").render(view=view, t=view.t)
