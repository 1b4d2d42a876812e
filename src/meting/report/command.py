"""``meting report``: a stored round's report in one format, written to files."""

from __future__ import annotations

from pathlib import Path

from meting.analysis.load import load_analysis
from meting.errors import InputError, OperationError
from meting.evidence import EvidenceError
from meting.report.render import FORMATS, render
from meting.report.texts import LANGUAGES
from meting.store import Store, StoreError


class ReportError(InputError):
    pass


SUFFIXES = {".html": "html", ".htm": "html", ".pdf": "pdf", ".xlsx": "xlsx", ".csv": "csv",
            ".json": "json"}


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


def check_out(out: Path) -> None:
    """Refused before any work: a file in a missing directory, or onto a directory."""
    if out.is_dir():
        raise ReportError(f"--out {out} is a directory; name a file in it")
    folder = out.parent
    if not folder.is_dir():
        raise ReportError(f"--out {out}: there is no directory {folder}; make it first")


def write_report(database: str, round_ref: str, fmt: str | None, lang: str,
                 out: Path | None) -> list[Path]:
    """The files written. ``out`` is the file (or, for CSV, the stem of the two files);
    default ``report-<round>.<format>`` in the current directory."""
    fmt = report_format(fmt, out)
    if lang not in LANGUAGES:
        raise ReportError(f"unknown language {lang!r}; one of {', '.join(LANGUAGES)}")
    if out is not None:
        check_out(out)
    with Store.open(database, create=False) as store:
        try:
            analysis = load_analysis(store, round_ref)
        except (StoreError, EvidenceError, KeyError) as exc:
            raise ReportError(str(exc)) from exc
    if not analysis.current.round.rows:
        raise ReportError(f"round {round_ref} has no finished tests yet")
    files = render(analysis, fmt, lang)
    default = Path(f"report-{analysis.current.round.round_id}")
    written = []
    for suffix, data in files.items():
        if out is None:
            path = Path(f"{default}{suffix}")
        elif fmt == "csv":  # two files: <out>-web.csv and <out>-mail.csv
            path = Path(f"{out.with_suffix('')}{suffix}")
        else:
            path = out
        write_whole(path, data)
        written.append(path)
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
