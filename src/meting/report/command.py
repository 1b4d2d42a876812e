"""``meting report``: a stored round's report in one format, written to files."""

from __future__ import annotations

import re
from pathlib import Path

from meting.analysis.load import load_analysis, load_scope
from meting.analysis.scope import Scope, ScopeError
from meting.errors import InputError, OperationError
from meting.evidence import EvidenceError
from meting.report.render import FORMATS, render
from meting.report.scoped import render_scope
from meting.report.texts import LANGUAGES
from meting.store import Store, StoreError


class ReportError(InputError):
    pass


SUFFIXES = {".html": "html", ".htm": "html", ".pdf": "pdf", ".xlsx": "xlsx", ".csv": "csv",
            ".json": "json", ".ods": "ods"}


def report_format(fmt: str | None, out: Path | None) -> str:
    """The format asked for, checked against the suffix of ``out``; or the suffix's."""
    by_suffix = SUFFIXES.get(out.suffix.lower()) if out is not None and out.suffix else None
    if fmt is None:
        if out is not None and out.suffix and by_suffix is None:
            raise ReportError(f"--out {out}: the suffix {out.suffix!r} names no report "
                              f"format; give --format ({', '.join(FORMATS)})")
        return by_suffix or "html"
    if fmt not in FORMATS:
        raise ReportError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    if by_suffix is not None and by_suffix != fmt:
        raise ReportError(f"--format {fmt} contradicts --out {out} (a {by_suffix} name); "
                          "make them agree, or leave out --format")
    return fmt


def check_language_and_out(lang: str, out: Path | None) -> None:
    """Refused before any work: an unknown language, or an --out that cannot be written."""
    if lang not in LANGUAGES:
        raise ReportError(f"unknown language {lang!r}; one of {', '.join(LANGUAGES)}")
    if out is not None:
        check_out(out)


def check_out(out: Path) -> None:
    """Refused before any work: a file in a missing directory, or onto a directory."""
    if out.is_dir():
        raise ReportError(f"--out {out} is a directory; name a file in it")
    folder = out.parent
    if not folder.is_dir():
        raise ReportError(f"--out {out}: there is no directory {folder}; make it first")


SCOPE_FORMATS = ("html", "pdf", "xlsx", "ods")
DETAILS = "-details/"


def write_scope_report(database: str, round_ref: str, scope: Scope, fmt: str | None,
                       lang: str, out: Path | None) -> Path:
    """One organisation's, umbrella's or parent's report; default file name
    ``report-<round>-<name>.<format>`` in the current directory."""
    fmt = report_format(fmt, out)
    if fmt not in SCOPE_FORMATS:
        raise ReportError(f"a report for one {scope.level} is {', '.join(SCOPE_FORMATS)}, "
                          f"not {fmt!r}")
    check_language_and_out(lang, out)
    with Store.open(database, create=False) as store:
        try:
            scoped = load_scope(store, round_ref, scope)
        except (StoreError, KeyError, ScopeError) as exc:
            raise ReportError(str(exc).strip("'\"")) from exc
    slug = re.sub(r"[^a-z0-9]+", "-", scope.name.lower()).strip("-") or scope.level
    path = out or Path(f"report-{scoped.current.round.round_id}-{slug}.{fmt}")
    write_whole(path, render_scope(scoped, fmt, lang))
    return path


def write_report(database: str, round_ref: str, fmt: str | None, lang: str,
                 out: Path | None) -> list[Path]:
    """The files written. ``out`` is the file (or, for CSV, the stem of the two files);
    default ``report-<round>.<format>`` in the current directory."""
    fmt = report_format(fmt, out)
    check_language_and_out(lang, out)
    with Store.open(database, create=False) as store:
        try:
            analysis = load_analysis(store, round_ref)
        except (StoreError, EvidenceError, KeyError) as exc:
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
        write_whole(path, data)
    if any(suffix.startswith(DETAILS) for suffix in files):
        written.append(Path(f"{stem}{DETAILS}"))  # the folder, not its thousands of pages
    return written


def write_whole(path: Path, data: bytes) -> None:
    """The file with all of ``data``, or (disk full, no permission) no new file at all."""
    part = path.with_name(f".{path.name}.part")
    try:
        part.write_bytes(data)
        part.replace(path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise OperationError(f"{path}: the report was not written: "
                             f"{exc.strerror or exc}") from exc
