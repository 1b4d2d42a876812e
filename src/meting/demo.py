"""`meting demo`: the lab with generated domains, its registry, two rounds, the report.

The generated domains follow the adoption of a published round (``lab/data/
population.yaml``). The first round measures them as drawn; then their owners fix and
break things (``meting lab up --changes 1`` rebuilds the lab's servers with one round of
changes) and a second round, half a year later by its date, measures them again, so that
trends, comparisons, laggards and change reports have something to show.

Each round runs inside the lab's scanner namespace (the only place the lab's servers can
be reached): the demo plans the round, then starts ``meting run --round ID`` there with
the lab's resolver, trust store and RPKI files (as ``meting lab exec`` does) and the demo
database. At the end it makes a demo login per role for the dashboard and prints them with
the command that starts it (`meting serve`). The database is ``meting-demo.db`` in the
working directory, made afresh on every demo; beside it the last round's figures JSON (SPEC §8,
``meting-demo-figures.json``) and its report (``meting-demo-report.html``), both as
`meting report` makes them.
"""

from __future__ import annotations

import datetime as dt
import json
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
ROUNDS = 2
MONTHS_BETWEEN_ROUNDS = 6
DEMO_UMBRELLA = "VNG"
DEMO_MAIL_DOMAIN = "demo.meting.test"


def demo(console: Console, domains: int, workdir: Path | None = None,
         rounds: int = ROUNDS) -> int:
    """Run the whole demo; the exit code of the last round run."""
    workdir = workdir or Path.cwd()
    database = (workdir / DATABASE).resolve()
    for stale in (database, *database.parent.glob(f"{DATABASE}-*")):
        stale.unlink(missing_ok=True)
    url = f"sqlite:///{database}"
    round_ids: list[int] = []
    for number in range(rounds):
        info = lab_up(console, domains, changes=number)
        if number == 0:
            import_registry(console, url, Path(info["registry"]))
        round_ids.append(plan(console, url, round_date(number, rounds)))
        code = run_in_scanner(info, url, round_ids[-1])
        if code != 0:
            return code
    figures, report = workdir / FIGURES, workdir / REPORT
    try:
        write_report(url, str(round_ids[-1]), "json", "nl", figures)
        write_report(url, str(round_ids[-1]), "html", "nl", report)
        earlier = figures_of(url, round_ids[-2]) if len(round_ids) > 1 else None
    except ReportError as exc:
        raise CommandError(f"the rounds are stored in {database}, but the report failed: "
                           f"{exc}") from exc
    for table in adoption_tables(json.loads(figures.read_text()), earlier):
        console.print(table)
    console.print(f"database {database}", soft_wrap=True)
    console.print(f"figures (JSON) {figures.resolve()}", soft_wrap=True)
    console.print(f"report (HTML) {report.resolve()}", soft_wrap=True)
    dashboard(console, url, round_ids[-1])
    return 0


def lab_up(console: Console, domains: int, changes: int) -> dict[str, Any]:
    """The lab with its generated domains after ``changes`` rounds of owners' changes."""
    doing = "building the lab…" if changes == 0 else "owners change their servers…"
    with console.status(doing) as spinner:
        info = lab.up(domains, progress=lambda stage: spinner.update(f"lab: {stage}…"),
                      changes=changes)
    what = "as drawn" if changes == 0 else f"after {changes} round(s) of owners' changes"
    console.print(f"lab up: {domains} generated domains besides the scenarios, {what}; "
                  f"registry {info['registry']}")
    return info


def round_date(number: int, rounds: int) -> dt.date:
    """Rounds half a year apart, the last one today."""
    months = MONTHS_BETWEEN_ROUNDS * (rounds - 1 - number)
    today = dt.date.today()
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return dt.date(year, month + 1, min(today.day, 28))


def figures_of(url: str, round_id: int) -> dict[str, Any]:
    from meting.analysis import round_figures_json

    with Store.open(url) as store:
        return round_figures_json(store, round_id)


def dashboard(console: Console, url: str, round_id: int) -> None:
    """Demo logins for the dashboard, one per role, and the command that starts it.

    The accounts are made through the same service as `meting user add`; the organisation
    login is the VNG organisation with the most failed columns in the last round, so that
    its page has laggards to show (the VNG login sees it too).
    """
    from meting.web.accounts import Accounts

    with Store.open(url) as store:
        organisation = most_failing(store, round_id, DEMO_UMBRELLA)
        logins: list[tuple[str, list[str], str | None]] = [
            ("coordinator", [], None), ("umbrella", [], DEMO_UMBRELLA),
            ("organisation", [organisation], None)]
        accounts = Accounts(store)
        made = [(f"{role}@{DEMO_MAIL_DOMAIN}", role, ", ".join(organisations) or umbrella,
                 accounts.add(f"{role}@{DEMO_MAIL_DOMAIN}", role, organisations, umbrella))
                for role, organisations, umbrella in logins]
    meting = Path(sys.executable).with_name("meting")
    console.print("dashboard on the demo's rounds, inside the lab so that its re-tests reach "
                  "the lab's servers (then open http://127.0.0.1:8080/):")
    console.print(f"    METING_DATABASE={url} {meting} lab serve", soft_wrap=True,
                  highlight=False)
    # Lines, not a table: a table narrower than its logins would cut them short.
    console.print("demo logins (the passwords are for this demo only):")
    for email, role, sees, password in made:
        console.print(f"    {role:<13} login {email}  password {password}  "
                      f"sees {sees or 'everything'}", soft_wrap=True, highlight=False)


def most_failing(store: Store, round_id: int, umbrella: str) -> str:
    """The organisation under the umbrella with the most failed columns in the round."""
    failed: dict[str, int] = {}
    for result in store.results(round_id):
        if result.umbrella == umbrella:
            failed[result.organisation] = failed.get(result.organisation, 0) + sum(
                status == "failed" for status in result.columns.values())
    if not failed:
        raise CommandError(f"the demo round has no organisation under {umbrella}")
    return min(failed, key=lambda name: (-failed[name], name))


def run_in_scanner(info: dict[str, Any], url: str, round_id: int) -> int:
    """``meting run --round ID`` in the scanner namespace with the lab's settings.

    On Ctrl-C the runner (which gets the same signal) is waited for, so that it can
    mark its round interrupted; ``subprocess.run`` would kill it after a quarter second.
    """
    env = {**lab.scanner_env(info), "METING_DATABASE": url}
    argv = [sys.executable, "-m", "meting.cli", "run", "--round", str(round_id)]
    with subprocess.Popen(netns.exec_argv(info["scanner_namespace"], argv), env=env) as proc:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            return proc.wait()


def import_registry(console: Console, url: str, registry: Path) -> None:
    """The lab's organisations and domains into the demo database."""
    listed = read_list(registry)
    if not listed.ok:
        raise CommandError(f"the lab's registry {registry} has errors: {listed.errors[0]}")
    with Store.open(url) as store:
        summary = store.import_entries(listed.entries)
    console.print(f"registry imported ({summary.domains_added} domains)")


def plan(console: Console, url: str, date: dt.date) -> int:
    """A round over the lab's domains, labelled by its month; the round's id."""
    with Store.open(url) as store:
        round_id = store.create_round(SET, load().norm, date=date)
        planned = store.plan_round(round_id)
        label = store.round(round_id).label
    console.print(f"round {label} (id {round_id}): {planned} tests planned")
    return round_id


def adoption_tables(figures: dict[str, Any],
                    earlier: dict[str, Any] | None = None) -> list[Table]:
    """One table per test kind: columns down, categories across, rate and n in each cell,
    and the change since the earlier round's figures when given."""
    tables = []
    for kind in ("web", "mail"):
        groups: dict[str, dict[str, Any]] = figures["adoption"].get(kind, {})
        if not groups:
            continue
        before = (earlier or {}).get("adoption", {}).get(kind, {})
        since = f", change since {earlier['round']}" if earlier else ""
        table = Table(Column("column", no_wrap=True, min_width=16), *groups,
                      title=f"{kind} {figures['round']}: adoption, % compliant "
                            f"(n counted){since}")
        for column in groups.get("all", next(iter(groups.values()))):
            table.add_row(column, *(
                cell(group.get(column), before.get(name, {}).get(column) if earlier else None)
                for name, group in groups.items()))
        tables.append(table)
    return tables


def cell(tally: dict[str, Any] | None, earlier: dict[str, Any] | None = None) -> str:
    if tally is None or tally.get("rate") is None:
        return ""
    text = f"{tally['rate']:.1f} ({tally['counted']})"
    if earlier is not None and earlier.get("rate") is not None:
        text += f" {tally['rate'] - earlier['rate']:+.1f}"
    return text
