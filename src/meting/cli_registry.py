"""`meting import` and `meting export`: registry lists into and out of the store."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from meting.errors import EXIT_INPUT
from meting.registry.lists import ListFile, ListFileError, read_list, write_list
from meting.registry.rows import set_name
from meting.settings import load
from meting.store import ImportSummary, Store, StoreError

EXIT_LIST_ERRORS = EXIT_INPUT
EXIT_FAILED = EXIT_INPUT  # a list or request the user can correct


def import_list(path: Path, good_rows: bool, out: Console, err: Console,
                encoding: str | None = None) -> None:
    """Check the list, print every problem, and import it unless it has errors."""
    try:
        listed = read_list(path, encoding)
    except ListFileError as exc:
        stop(err, f"nothing imported: {exc}", EXIT_FAILED)
    print_problems(listed, err)
    if listed.errors and not good_rows:
        stop(err, f"nothing imported: {len(listed.errors)} error(s) in {path}; correct "
             "them, or import the rows without errors with --good-rows", EXIT_LIST_ERRORS)
    entries = listed.good_entries()
    if not entries:
        stop(err, f"nothing imported: {path} has no rows with a domain under its header",
             EXIT_LIST_ERRORS)
    try:
        with Store.open(load().database, verify=True) as store:
            summary = store.import_entries(entries)
    except (StoreError, ValueError) as exc:
        stop(err, f"nothing imported: {exc}", EXIT_FAILED)
    out.print(escape(describe(summary, len(entries), path)), soft_wrap=True)
    if listed.errors:
        out.print(f"the rows named in the {len(listed.errors)} error(s) were left out",
                  soft_wrap=True)


def print_problems(listed: ListFile, err: Console) -> None:
    for problem in listed.warnings:
        err.print(f"[yellow]warning:[/] {escape(str(problem))}", soft_wrap=True)
    for problem in listed.errors:
        err.print(f"[bold red]error:[/] {escape(str(problem))}", soft_wrap=True)


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


def stop(err: Console, message: str, code: int) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)
