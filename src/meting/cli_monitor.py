"""`meting monitor import-tenders|import-facilities|report`: the annual Monitor Open
Standaarden (docs/monitor.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from meting.cli_errors import say, stop
from meting.monitor.lists import MonitorList, read_facilities, read_tenders
from meting.registry.cells import ListFileError
from meting.settings import load

app = typer.Typer(help="The annual Monitor Open Standaarden: tenders, facilities, report.",
                  no_args_is_help=True)
console = Console()
Encoding = Annotated[str | None, typer.Option(help="of a CSV file (default UTF-8)")]
PROBLEMS_SHOWN = 200


def _checked(read: Any, path: Path, encoding: str | None) -> MonitorList[Any]:
    try:
        listed: MonitorList[Any] = read(path, encoding)
    except ListFileError as exc:
        stop(f"nothing imported: {exc}")
    if listed.errors:
        say("\n".join(str(p) for p in listed.errors[:PROBLEMS_SHOWN]))
        stop(f"nothing imported: {len(listed.errors)} error(s) in {path}; correct them "
             "and import the list again")
    if not listed.records:
        stop(f"nothing imported: {path} has no rows under its header")
    return listed


@app.command("import-tenders")
def import_tenders(path: Annotated[Path, typer.Argument(help="a tender list, .csv or .xlsx")],
                   encoding: Encoding = None) -> None:
    """Import tenders; they replace the stored tenders of the years the list holds."""
    from meting.store import Store
    from meting.store.monitor import MonitorStore

    listed = _checked(read_tenders, path, encoding)
    with Store.open(load().database, verify=True) as store:
        years = MonitorStore(store).replace_tenders(listed.records)
    console.print(escape(f"imported {len(listed.records)} tender(s) from {path}; replaced "
                         f"the tenders of {', '.join(map(str, years))}"), soft_wrap=True)


@app.command("import-facilities")
def import_facilities(path: Annotated[Path, typer.Argument(
        help="a facility list, .csv or .xlsx")], encoding: Encoding = None) -> None:
    """Import facilities; they replace the stored facilities of the years the list holds."""
    from meting.store import Store
    from meting.store.monitor import MonitorStore

    listed = _checked(read_facilities, path, encoding)
    with Store.open(load().database, verify=True) as store:
        years = MonitorStore(store).replace_facilities(listed.records)
    console.print(escape(f"imported {len(listed.records)} facilit(y/ies) from {path}; "
                         f"replaced the facilities of {', '.join(map(str, years))}"),
                  soft_wrap=True)


@app.command("report")
def report(year: Annotated[int, typer.Option(help="the monitor's year")],
           fmt: Annotated[str | None, typer.Option(
               "--format", help="html (default), pdf, xlsx or json")] = None,
           lang: Annotated[str, typer.Option(help="nl (default) or en")] = "nl",
           out: Annotated[Path | None, typer.Option(
               help="the file to write (default monitor-<year>.<format>)")] = None) -> None:
    """The year's tenders and facilities against their targets, the trend, and the year's
    information-security measurement."""
    from meting.monitor.report import FORMATS, load_monitor, render_monitor
    from meting.report.command import write_whole
    from meting.store import Store

    fmt = fmt or (out.suffix.lower().lstrip(".") if out is not None and out.suffix else "html")
    if fmt not in FORMATS:
        stop(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    if lang not in ("nl", "en"):
        stop(f"unknown language {lang!r}; one of nl, en")
    if not 1990 <= year <= 2100:
        stop(f"--year {year}: a year such as 2025")
    path = out or Path(f"monitor-{year}.{fmt}")
    if not path.parent.is_dir():
        stop(f"--out {path}: there is no directory {path.parent}")
    with Store.open(load().database, create=False) as store:
        found = load_monitor(store, year)
    write_whole(path, render_monitor(found, fmt, lang))
    console.print(escape(f"wrote {path}"))
