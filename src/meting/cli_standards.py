"""`meting standards list|show|export|import`: the register of standards and their target
agreements (Dutch by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from meting import standards
from meting.cli_errors import say, stop
from meting.monitor.texts import MonitorTexts
from meting.registry.cells import ListFileError
from meting.standards.lists import export_lists, import_lists, write_register
from meting.standards.schema import Agreement, Standard

app = typer.Typer(help="The register of standards ('pas toe of leg uit') and their target "
                  "agreements.", no_args_is_help=True)
console = Console()
Lang = Annotated[str, typer.Option("--lang", help="nl (default) or en")]


def _texts(lang: str) -> MonitorTexts:
    if lang not in ("nl", "en"):
        stop(f"unknown language {lang!r}; one of nl, en")
    return MonitorTexts(lang)


@app.command("list")
def list_standards(lang: Lang = "nl") -> None:
    """Every standard of the register with its list, version and agreements."""
    t, register = _texts(lang), standards.register()
    table = Table(title=f"{t('register')} ({register.name} {register.version})")
    for key in ("standard", "list", "version", "admitted", "agreements"):
        table.add_column(t(key))
    for s in register.standards:
        table.add_row(escape(s.id) + " — " + escape(s.name), t.list_name(s.on_list),
                      escape(s.version_in(lang)), str(s.admitted or "–"),
                      escape(", ".join(_agreement_text(a, t)
                                       for a in register.agreements_of(s.id)) or t("none")))
    console.print(table)


def _agreement_text(a: Agreement, t: MonitorTexts) -> str:
    when = t("end_of", year=a.deadline) if a.deadline else t("none")
    return f"{t.column(a.kind, a.column)} ({when})"


@app.command("show")
def show_standard(standard: Annotated[str, typer.Argument(help="the standard's id or name")],
                  lang: Lang = "nl") -> None:
    """One standard: scope, steward, procedure with dates and outcomes, agreements, sources."""
    t, register = _texts(lang), standards.register()
    found = next((s for s in register.standards
                  if standard.lower() in (s.id, s.name.lower())), None)
    if found is None:
        stop(f"no standard {standard!r} in the register; known: "
             + ", ".join(s.id for s in register.standards))
    _print_standard(found, register.agreements_of(found.id), t)


def _print_standard(s: Standard, agreements: list[Agreement], t: MonitorTexts) -> None:
    lang = t.lang
    console.print(f"[bold]{escape(s.name)}[/] ({escape(s.id)})")
    for key, value in (("list", t.list_name(s.on_list)), ("version", s.version_in(lang)),
                       ("scope", getattr(s.scope, lang)), ("steward", s.steward_in(lang)),
                       ("admitted", str(s.admitted or "–")),
                       ("new_version", t(f"review_{s.review_for_new_version()}"))):
        console.print(f"{t(key)}: {escape(value)}", soft_wrap=True)
    steps = Table(title=t("procedure"))
    for key in ("step", "date", "outcome"):
        steps.add_column(t(key))
    for step in s.procedure:
        steps.add_row(t.step(step.step), str(step.date or "–"),
                      escape(getattr(step.outcome, lang) if step.outcome else "–"))
    console.print(steps)
    table = Table(title=t("agreements"))
    for key in ("column", "deadline", "in_table", "fully", "legal"):
        table.add_column(t(key))
    for a in agreements:
        table.add_row(t.column(a.kind, a.column),
                      t("end_of", year=a.deadline) if a.deadline else t("none"),
                      t("word_yes") if a.in_table else t("word_no"),
                      t("word_yes") if a.streefbeeld else t("word_no"),
                      str(a.legal.since) if a.legal else "–")
    console.print(table)
    console.print(f"{t('sources')}:")
    for source in s.sources_in(lang):
        console.print(f"  {escape(source)}", soft_wrap=True)


@app.command("export")
def export(standards_out: Annotated[Path, typer.Argument(help="the standards list, .csv/.xlsx")],
           agreements_out: Annotated[Path, typer.Argument(
               help="the agreements list, .csv/.xlsx")]) -> None:
    """Write the register as two lists: a row per standard and a row per agreement."""
    try:
        export_lists(standards.register(), standards_out, agreements_out)
    except ListFileError as exc:
        stop(str(exc))
    console.print(f"wrote {standards_out} and {agreements_out}")


@app.command("import")
def import_(standards_in: Annotated[Path, typer.Argument(help="the standards list")],
            agreements_in: Annotated[Path, typer.Argument(help="the agreements list")],
            out: Annotated[Path, typer.Option(help="the register file to write (.yaml)")],
            version: Annotated[str, typer.Option(help="the register's version")] = "",
            encoding: Annotated[str | None, typer.Option(help="of CSV files")] = None) -> None:
    """Check both lists and write them as a register file; with any problem, nothing."""
    if out.suffix.lower() not in (".yaml", ".yml"):
        stop(f"--out {out}: a register file is .yaml")
    found = import_lists(standards_in, agreements_in, out.name,
                         version or standards.register().version, encoding)
    if found.register is None:
        say("\n".join(str(p) for p in found.problems))
        stop(f"nothing written: {len(found.problems)} problem(s)")
    write_register(found.register, out)
    console.print(f"wrote {out}: {len(found.register.standards)} standard(s), "
                  f"{len(found.register.agreements)} agreement(s)")
