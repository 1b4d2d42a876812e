"""``meting report``: a stored round's report in one format, written to files."""

from __future__ import annotations

import re
from pathlib import Path

from meting.analysis.load import load_analysis, load_scope
from meting.analysis.scope import Scope, ScopeError
from meting.report.render import FORMATS, render
from meting.report.scoped import render_scope
from meting.report.texts import LANGUAGES
from meting.store import Store, StoreError


class ReportError(Exception):
    pass


SCOPE_FORMATS = ("html", "pdf", "xlsx", "ods")
DETAILS = "-details/"


def write_scope_report(database: str, round_ref: str, scope: Scope, fmt: str, lang: str,
                       out: Path | None) -> Path:
    """One organisation's, umbrella's or parent's report; default file name
    ``report-<round>-<name>.<format>`` in the current directory."""
    if fmt not in SCOPE_FORMATS:
        raise ReportError(f"a report for one {scope.level} is {', '.join(SCOPE_FORMATS)}, "
                          f"not {fmt!r}")
    if lang not in LANGUAGES:
        raise ReportError(f"unknown language {lang!r}; one of {', '.join(LANGUAGES)}")
    with Store.open(database) as store:
        try:
            scoped = load_scope(store, round_ref, scope)
        except (StoreError, KeyError, ScopeError) as exc:
            raise ReportError(str(exc).strip("'\"")) from exc
    slug = re.sub(r"[^a-z0-9]+", "-", scope.name.lower()).strip("-") or scope.level
    path = out or Path(f"report-{scoped.current.round.round_id}-{slug}.{fmt}")
    path.write_bytes(render_scope(scoped, fmt, lang))
    return path


def write_report(database: str, round_ref: str, fmt: str, lang: str,
                 out: Path | None) -> list[Path]:
    """The files written. ``out`` is the file (or, for CSV, the stem of the two files);
    default ``report-<round>.<format>`` in the current directory."""
    if fmt not in FORMATS:
        raise ReportError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    if lang not in LANGUAGES:
        raise ReportError(f"unknown language {lang!r}; one of {', '.join(LANGUAGES)}")
    with Store.open(database) as store:
        try:
            analysis = load_analysis(store, round_ref)
        except (StoreError, KeyError) as exc:
            raise ReportError(str(exc)) from exc
    if not analysis.current.round.rows:
        raise ReportError(f"round {round_ref} has no finished tests yet")
    stem = out.with_suffix("") if out else Path(f"report-{analysis.current.round.round_id}")
    files = render(analysis, fmt, lang, stem.name)
    written = []
    for suffix, data in files.items():
        # CSV: <out>-web.csv and <out>-mail.csv; HTML: <out>.html and <out>-details/…
        path = out if out and suffix == f".{fmt}" else Path(f"{stem}{suffix}")
        if suffix.startswith(DETAILS):
            path.parent.mkdir(exist_ok=True)
        elif path not in written:
            written.append(path)
        path.write_bytes(data)
    if any(suffix.startswith(DETAILS) for suffix in files):
        written.append(Path(f"{stem}{DETAILS}"))  # the folder, not its thousands of pages
    return written
