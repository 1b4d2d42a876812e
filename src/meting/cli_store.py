"""`meting rounds` and `meting doctor`: what the database holds, and whether it is sound."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from meting import settings as meting_settings
from meting.store import RoundInfo, Store

console = Console()


def rounds(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every round: id, label, date, set, state, progress and norm (oldest first)."""
    settings = meting_settings.load()
    with Store.open(settings.database, create=False) as store:
        found = store.rounds()
        last = store.last_results()
    now = dt.datetime.now(dt.UTC)
    listed = [round_record(info, last.get(info.id), now, settings.abandoned_after)
              for info in found]
    if as_json:
        print(json.dumps(listed, indent=2, ensure_ascii=False))
        return
    table = Table("id", "label", "date", "set", "state", "progress", "norm")
    for item in listed:
        state = item["state"] if not item["abandoned"] else "[red]abandoned[/] (running)"
        table.add_row(str(item["id"]), escape(item["label"]), item["date"],
                      escape(item["set"] or "(every domain)"), state,
                      f"{item['done']:,}/{item['planned']:,} ({item['progress']:.0%})",
                      escape(item["norm"] or "(imported)"))
    console.print(table)
    if any(item["abandoned"] for item in listed):
        console.print("an abandoned round's runner is gone (no result for "
                      f"{settings.abandoned_after:g} s); continue it with "
                      "meting run --round ID", soft_wrap=True)


def round_record(info: RoundInfo, last: dt.datetime | None, now: dt.datetime,
                 abandoned_after: float) -> dict[str, Any]:
    moment = last or info.started_at
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    abandoned = info.state == "running" and (
        moment is None or (now - moment).total_seconds() > abandoned_after)
    return {"id": info.id, "label": info.label, "date": info.date.isoformat(),
            "set": info.set_name, "state": info.state, "abandoned": abandoned,
            "planned": info.planned, "done": info.done,
            "progress": info.done / info.planned if info.planned else 0.0,
            "norm": info.norm, "last_result": last.isoformat() if last else None}


def doctor() -> None:
    """Check the database: SQLite pages, schema revision, the store's invariants."""
    from meting.store.doctor import diagnose

    findings = diagnose(meting_settings.load().database)
    for finding in findings:
        mark = "[green]ok[/]" if finding.ok else "[bold red]wrong[/]"
        console.print(f"{mark} {finding.check}: {escape(finding.message)}", soft_wrap=True)
    if not all(f.ok for f in findings):
        raise typer.Exit(1)


def round_id(ref: str) -> int:
    """The id of the round with this label or id (`--round` of every command)."""
    with Store.open(meting_settings.load().database, create=False) as store:
        return store.find_round(ref).id
