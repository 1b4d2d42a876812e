"""The report as HTML: one page with every section (inline CSS and SVG, the appendix's
search and filter as one inline script allowed by a Content-Security-Policy hash), and, for
large rounds, a folder of per-domain detail pages beside it (``<name>-details/``)."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from meting.analysis.analysis import Analysis
from meting.analysis.model import DomainResult
from meting.report.view import ReportView, detail_file


@cache
def environment() -> Environment:
    return Environment(loader=PackageLoader("meting.report", "templates"),
                       autoescape=select_autoescape(["j2"], default=True),
                       undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False)


@cache
def filter_script() -> str:
    return (resources.files("meting.report") / "static/filter.js").read_text("utf-8")


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def render_html(analysis: Analysis, lang: str = "nl", *, with_details: bool = True,
                with_appendix: bool = True, details_href: str | None = None,
                tables_at_end: bool = False, total_pages: int | None = None) -> str:
    """``details_href``: the folder (relative to this page) holding the per-domain pages
    that ``render_detail_pages`` makes; None keeps the details in this page.
    ``tables_at_end``/``total_pages``: for the PDF of a large round (report/pdf.py)."""
    view = ReportView(analysis, lang, with_details=with_details, with_appendix=with_appendix,
                      details_href=details_href, tables_at_end=tables_at_end,
                      total_pages=total_pages)
    css = environment().get_template("style.css.j2").render(view=view, t=view.t)
    script = filter_script()
    csp = (f"default-src 'none'; style-src {_hash(css)}; script-src {_hash(script)}; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    return environment().get_template("report.html.j2").render(
        view=view, t=view.t, css=Markup(css), script=Markup(script), csp=csp)


def render_detail_pages(analysis: Analysis, lang: str, report_href: str) -> dict[str, str]:
    """One page per domain (its web and mail results: every column and subtest with its
    explanation), by file name; ``report_href`` is the report page, relative to them."""
    view = ReportView(analysis, lang)
    css = environment().get_template("style.css.j2").render(view=view, t=view.t)
    template = environment().get_template("detail.html.j2")
    by_domain: dict[str, list[DomainResult]] = {}
    for row in analysis.current.round.rows:
        by_domain.setdefault(row.domain, []).append(row)
    csp = f"default-src 'none'; style-src {_hash(css)}; base-uri 'none'"
    return {detail_file(domain): template.render(
        view=view, t=view.t, css=Markup(css), csp=csp, domain=domain,
        rows=sorted(rows, key=lambda r: r.kind != "web"), report=report_href)
        for domain, rows in by_domain.items()}
