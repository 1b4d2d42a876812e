"""`meting demo`: the lab with generated domains, its registry, a round over it, the report.

The round runs inside the lab's scanner namespace (the only place the lab's servers can
be reached): the demo plans the round, then starts ``meting run --round ID`` there with
the lab's resolver, trust store and RPKI files (as ``meting lab exec`` does) and the demo
database. The database is ``meting-demo.db`` in the working directory, made afresh on
every demo; beside it the round's figures JSON (SPEC §8, ``meting-demo-figures.json``)
and its report (``meting-demo-report.html``), both as `meting report` makes them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Column, Table

from meting.lab import lab, netns
from meting.registry.lists import read_list
from meting.report.command import ReportError, write_report
from meting.run.command import CommandError
from meting.settings import load
from meting.store import Store

DATABASE = "meting-demo.db"
FIGURES = "meting-demo-figures.json"
REPORT = "meting-demo-report.html"
SET = "lab"


def demo(console: Console, domains: int, workdir: Path | None = None) -> int:
    """Run the whole demo; the exit code of the round."""
    workdir = workdir or Path.cwd()
    with console.status("building the lab…") as spinner:
        info = lab.up(domains, progress=lambda stage: spinner.update(f"lab: {stage}…"))
    console.print(f"lab up: {domains} generated domains besides the scenarios; registry "
                  f"{info['registry']}")
    database = (workdir / DATABASE).resolve()
    for stale in (database, *database.parent.glob(f"{DATABASE}-*")):
        stale.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    round_id = plan(console, url, Path(info["registry"]))
    code = run_in_scanner(info, url, round_id)
    if code != 0:
        return code
    figures, report = workdir / FIGURES, workdir / REPORT
    try:
        write_report(url, str(round_id), "json", "nl", figures)
        write_report(url, str(round_id), "html", "nl", report)
    except ReportError as exc:
        raise CommandError(f"the round is stored in {database}, but its report failed: "
                           f"{exc}") from exc
    for table in adoption_tables(json.loads(figures.read_text())):
        console.print(table)
    console.print(f"database {database}", soft_wrap=True)
    console.print(f"figures (JSON) {figures.resolve()}", soft_wrap=True)
    console.print(f"report (HTML) {report.resolve()}", soft_wrap=True)
    return 0


def run_in_scanner(info: dict[str, Any], url: str, round_id: int) -> int:
    """``meting run --round ID`` in the scanner namespace with the lab's settings.

    On Ctrl-C the runner (which gets the same signal) is waited for, so that it can
    mark its round interrupted; ``subprocess.run`` would kill it after a quarter second.
    """
    env = {**os.environ, "METING_RESOLVER": info["resolver"],
           "METING_TRUST_STORE": info["trust_store"], "METING_RPKI_VRPS": info["rpki_vrps"],
           "METING_RPKI_ROUTES": info["rpki_routes"],
           "METING_ALLOWED_NETWORKS": netns.LAB_NETWORKS, "METING_DATABASE": url}
    argv = [sys.executable, "-m", "meting.cli", "run", "--round", str(round_id)]
    with subprocess.Popen(netns.exec_argv(info["scanner_namespace"], argv), env=env) as proc:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            return proc.wait()


def plan(console: Console, url: str, registry: Path) -> int:
    """Import the lab's registry and plan a round over its domains; the round's id."""
    listed = read_list(registry)
    if not listed.ok:
        raise CommandError(f"the lab's registry {registry} has errors: {listed.errors[0]}")
    with Store.open(url) as store:
        summary = store.import_entries(listed.entries)
        round_id = store.create_round(SET, load().norm, label="demo")
        planned = store.plan_round(round_id)
    console.print(f"registry imported ({summary.domains_added} domains); round demo "
                  f"(id {round_id}): {planned} tests planned")
    return round_id


def adoption_tables(figures: dict[str, Any]) -> list[Table]:
    """One table per test kind: columns down, categories across, rate and n in each cell."""
    tables = []
    for kind in ("web", "mail"):
        groups: dict[str, dict[str, Any]] = figures["adoption"].get(kind, {})
        if not groups:
            continue
        table = Table(Column("column", no_wrap=True, min_width=16), *groups,
                      title=f"{kind}: adoption, % compliant (n counted)")
        for column in groups.get("all", next(iter(groups.values()))):
            table.add_row(column, *(cell(group.get(column)) for group in groups.values()))
        tables.append(table)
    return tables


def cell(tally: dict[str, Any] | None) -> str:
    if tally is None or tally.get("rate") is None:
        return ""
    return f"{tally['rate']:.1f} ({tally['counted']})"
