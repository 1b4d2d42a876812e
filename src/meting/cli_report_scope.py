"""``meting report --organisation/--umbrella/--parent``: the report for one of them."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from meting import settings
from meting.analysis.scope import Scope
from meting.report.command import ReportError, write_scope_report

console = Console()


def scoped_report(round_ref: str, fmt: str | None, lang: str, out: str | None,
                  organisation: str | None, umbrella: str | None, parent: str | None) -> None:
    given = [(level, name) for level, name in (("organisation", organisation),
                                               ("umbrella", umbrella), ("parent", parent))
             if name]
    if len(given) > 1:
        _fail("give one of --organisation, --umbrella and --parent")
    level, name = given[0]
    try:
        path = write_scope_report(settings.load().database, round_ref, Scope(level, name), fmt,
                                  lang, Path(out) if out else None)
    except ReportError as exc:
        _fail(str(exc))
    console.print(f"report written to {path}")


def _fail(message: str) -> None:
    from meting.cli import fail

    fail(message)
