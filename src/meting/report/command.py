"""``meting report``: a stored round's report in one format, written to files."""

from __future__ import annotations

from pathlib import Path

from meting.analysis.load import load_analysis
from meting.evidence import EvidenceError
from meting.report.render import FORMATS, render
from meting.report.texts import LANGUAGES
from meting.store import Store, StoreError


class ReportError(Exception):
    pass


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
        path.write_bytes(data)
        written.append(path)
    return written
