"""`meting import` and `meting export`: registry lists into and out of the store."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from meting.errors import EXIT_INPUT
from meting.registry.lists import ListFileError, write_list
from meting.registry.problems import Problems
from meting.registry.rows import set_name
from meting.registry.stream import PROBLEMS_KEPT, read_drafts
from meting.settings import load
from meting.store import ImportSummary, Store, StoreError
from meting.store.engine import sqlite_file

EXIT_LIST_ERRORS = EXIT_INPUT
EXIT_FAILED = EXIT_INPUT  # a list or request the user can correct


def import_list(path: Path, good_rows: bool, out: Console, err: Console,
                encoding: str | None = None) -> None:
    """Check the list, print every problem, and import it unless it has errors.

    The list is read row by row and staged in the database (``Store.import_list``), so
    its size does not show in memory; of its problems the first are kept and counted."""
    problems = Problems(keep=PROBLEMS_SHOWN)
    url = load().database
    new_file = unmade_sqlite_file(url)
    result = None
    try:
        drafts = read_drafts(path, problems, encoding)
        with Store.open(url, verify=True) as store:
            result = store.import_list(drafts, problems, good_rows)
    except ListFileError as exc:
        stop(err, f"nothing imported: {exc}", EXIT_FAILED)
    except (StoreError, ValueError) as exc:
        stop(err, f"nothing imported: {exc}", EXIT_FAILED)
    finally:
        if new_file is not None and (result is None or result.summary is None):
            remove_sqlite_file(new_file)  # nothing stored: not even an empty database
    print_problems(problems, err)
    if problems.error_count and not good_rows:
        stop(err, f"nothing imported: {problems.error_count:,} error(s) in {path}; correct "
             "them, or import the rows without errors with --good-rows", EXIT_LIST_ERRORS)
    if result.summary is None:
        stop(err, f"nothing imported: {path} has no rows with a domain under its header",
             EXIT_LIST_ERRORS)
    out.print(escape(describe(result.summary, result.domains, path)), soft_wrap=True)
    if problems.error_count:
        out.print(f"the rows named in the {problems.error_count:,} error(s) were left out",
                  soft_wrap=True)


PROBLEMS_SHOWN = PROBLEMS_KEPT  # of each kind; a list broken on every row is not printed whole


def print_problems(problems: Problems, err: Console) -> None:
    for problem in problems.first_warnings():
        err.print(f"[yellow]warning:[/] {escape(str(problem))}", soft_wrap=True)
    if problems.warning_count > PROBLEMS_SHOWN:
        err.print(f"[yellow]warning:[/] and {problems.warning_count - PROBLEMS_SHOWN:,} more "
                  "warnings", soft_wrap=True)
    for problem in problems.first_errors():
        err.print(f"[bold red]error:[/] {escape(str(problem))}", soft_wrap=True)
    if problems.error_count > PROBLEMS_SHOWN:
        err.print(f"[bold red]error:[/] and {problems.error_count - PROBLEMS_SHOWN:,} more "
                  "errors", soft_wrap=True)


def describe(summary: ImportSummary, domains: int, path: Path) -> str:
    return (f"imported {domains} domain(s) from {path}: "
            f"{summary.organisations_added} organisation(s) added, "
            f"{summary.organisations_updated} updated; {summary.domains_added} domain(s) "
            f"added, {summary.domains_updated} updated; {summary.sets_added} set(s) added")


def export_list(path: Path, set_wanted: str | None, out: Console, err: Console) -> None:
    """Write the registry (or one domain set of it) as a list file."""
    if path.suffix.lower() not in (".csv", ".xlsx"):
        stop(err, f"{path.name}: a list must be a .csv or .xlsx file", EXIT_FAILED)
    try:
        with Store.open(load().database, create=False) as store:
            entries = store.export_entries()
            sets = store.domain_sets()
    except (StoreError, ValueError) as exc:
        stop(err, str(exc), EXIT_FAILED)
    if set_wanted is not None:
        name = set_name(set_wanted)
        if name not in sets:
            stop(err, f"no domain set {set_wanted!r}; sets: {', '.join(sets) or 'none'}",
                 EXIT_FAILED)
        entries = [entry for entry in entries if name in entry.sets]
    try:
        write_list(entries, path)
    except OSError as exc:
        stop(err, f"{path}: {exc.strerror or exc}", EXIT_FAILED)
    out.print(escape(f"exported {len(entries)} domain(s) to {path}"), soft_wrap=True)


def unmade_sqlite_file(url: str) -> Path | None:
    """The SQLite file an import would make (None: PostgreSQL, or the file exists)."""
    try:
        path = sqlite_file(url)
    except StoreError:
        return None
    return path if path is not None and not path.exists() else None


def remove_sqlite_file(path: Path) -> None:
    for made in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        made.unlink(missing_ok=True)


def stop(err: Console, message: str, code: int) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)
