"""The `meting` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from meting import cli_check, cli_norms, cli_store
from meting import cli_errors as error_path
from meting.cli_evidence import evidence_app
from meting.lab.netns import LabError

app = typer.Typer(help="Measure how government domains apply the mandatory security standards.",
                  no_args_is_help=True, cls=error_path.MetingGroup)
lab_app = typer.Typer(help="The lab: a small internet of real servers in network namespaces.",
                      no_args_is_help=True)
app.add_typer(lab_app, name="lab")
app.add_typer(cli_check.app, name="check")
psl_app = typer.Typer(help="The Public Suffix List used for DMARC's organisational domain.",
                      no_args_is_help=True)
app.add_typer(psl_app, name="psl")
app.add_typer(evidence_app, name="evidence")
app.add_typer(cli_norms.app, name="norms")
console = Console()
errors = error_path.stderr()


@app.callback()
def main(debug: Annotated[bool, typer.Option(
        "--debug", envvar=error_path.DEBUG_ENV,
        help="show the traceback of a failure (for developers)")] = False) -> None:
    """Measure how government domains apply the mandatory security standards."""
    error_path.set_debug(debug)


def fail(message: str, code: int = error_path.EXIT_INPUT) -> NoReturn:
    error_path.stop(message, code)


@lab_app.command("up")
def lab_up(domains: Annotated[int, typer.Option(help="generated domains to add")] = 0,
           catalogue: Annotated[Path | None, typer.Option(
               help="a file of your own scenarios to add (docs/lab-scenarios.md)")] = None,
           changes: Annotated[int, typer.Option(
               help="rounds of owners' changes to the generated domains")] = 0,
           ) -> None:
    """Build the lab (a healthy lab of the same size, scenarios and changes is left as
    it is)."""
    from meting.lab import lab

    try:
        with console.status("building the lab…") as spinner:
            info = lab.up(domains, progress=lambda stage: spinner.update(f"lab: {stage}…"),
                          catalogue=catalogue, changes=changes)
    except LabError as exc:
        fail(str(exc), error_path.EXIT_FAILED)
    console.print(f"lab up in {info['seconds_to_start']} s; resolver {info['resolver']}, "
                  f"trust store {info['trust_store']}, registry {info['registry']}")


@lab_app.command("down")
def lab_down() -> None:
    """Remove every namespace, process and file of the lab."""
    from meting.lab import lab

    removed = lab.down()
    console.print(f"lab down; removed {len(removed)} namespaces")


@lab_app.command("status")
def lab_status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every scenario, its targets, expected statuses and whether its servers answer."""
    from meting.lab import lab

    report = lab.status()
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        table = Table("scenario", "web host", "mail domain", "servers")
        for s in report["scenarios"]:
            table.add_row(s["name"], s["web_host"], s["mail_domain"],
                          "[green]up[/]" if s["healthy"] else "[red]down[/]")
        console.print(table)
        console.print("lab healthy" if report["healthy"] else "[red]lab not healthy[/]")
    if not report["healthy"]:
        raise typer.Exit(1)


@lab_app.command("serve")
def lab_serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
              port: Annotated[int, typer.Option(help="port to listen on (0: a free one)")
                              ] = 8080) -> None:
    """The dashboard inside the lab (its re-tests reach the lab's servers), reachable on
    HOST:PORT of this machine (Ctrl-C stops it)."""
    from meting.lab import lab

    def ready(address: str) -> None:
        console.print(f"dashboard on {address} (Ctrl-C stops it)", highlight=False)
        sys.stdout.flush()

    try:
        code = lab.serve_dashboard(host, port, ready)
    except LabError as exc:
        fail(str(exc), error_path.EXIT_FAILED)
    sys.exit(code)


@lab_app.command("exec", context_settings={"allow_extra_args": True,
                                            "ignore_unknown_options": True})
def lab_exec(ctx: typer.Context) -> None:
    """Run a command in the scanner namespace: meting lab exec -- CMD..."""
    from meting.lab import lab

    if not ctx.args:
        fail("give a command: meting lab exec -- CMD...")
    try:
        code = lab.exec_in_scanner(list(ctx.args))
    except LabError as exc:
        fail(str(exc), error_path.EXIT_FAILED)
    sys.exit(code)


@psl_app.command("update")
def psl_update(from_file: Annotated[str | None, typer.Option(
        "--from", help="a list file to use instead of downloading")] = None) -> None:
    """Fetch the current Public Suffix List (or take a file) and use it from now on."""

    import httpx

    from meting.records.psl import PSL_URL, PslError, install

    try:
        if from_file:
            text = Path(from_file).read_text()
        else:
            response = httpx.get(PSL_URL, timeout=30, follow_redirects=True)
            response.raise_for_status()
            text = response.text
        path = install(text)
    except (OSError, httpx.HTTPError, PslError) as exc:
        # a file the user named is bad input; a failed download is a failed operation
        fail(f"the Public Suffix List was not updated: {exc}",
             error_path.EXIT_INPUT if from_file else error_path.EXIT_FAILED)
    console.print(f"Public Suffix List saved to {path}")


@app.command("import")
def import_list(path: Annotated[str, typer.Argument(help="a registry list, .csv or .xlsx")],
                good_rows: Annotated[bool, typer.Option(
                    "--good-rows", help="import the rows without errors, leave out the others")
                ] = False,
                encoding: Annotated[str | None, typer.Option(
                    help="encoding of a CSV list (default UTF-8; UTF-16 by its BOM)")] = None,
                ) -> None:
    """Import organisations and domains from a list; a list with errors imports nothing."""

    from meting import cli_registry

    cli_registry.import_list(Path(path), good_rows, console, errors, encoding)


@app.command("export")
def export_list(path: Annotated[str, typer.Argument(help="the list to write, .csv or .xlsx")],
                set_name: Annotated[str | None, typer.Option(
                    "--set", help="only the domains of this domain set")] = None) -> None:
    """Write the registry's organisations and domains as a list."""
    from pathlib import Path

    from meting import cli_registry

    cli_registry.export_list(Path(path), set_name, console, errors)


@app.command("run")
def run_round(
        set_name: Annotated[str | None, typer.Option("--set", help="domain set (default: all)")]
        = None,
        round_ref: Annotated[str | None, typer.Option(
            "--round", help="continue this round (id or label)")] = None,
        norm: Annotated[str | None, typer.Option(help="norm version to judge by")] = None,
        label: Annotated[str | None, typer.Option(help="label of a new round")] = None,
        concurrency: Annotated[int | None, typer.Option(help="tests at once")] = None,
        processes: Annotated[int | None, typer.Option(
            help="runner processes on this machine (default: one per core)")] = None,
        part: Annotated[str | None, typer.Option(
            help="I/P: only tests of domains whose CRC-32 mod P = I (P processes on one "
            "round, each with 1/P of per_address)")] = None,
        executor: Annotated[str, typer.Option(
            help="local (this process) or celery (meting worker processes)")] = "local",
        watch: Annotated[bool, typer.Option(
            "--watch", help="only show the progress of --round ID until it is done")] = False,
) -> None:
    """Run a round over a domain set, or continue one (--round); resumable after a stop."""
    from meting.cli_store import round_id as find_round
    from meting.run import command

    round_id = find_round(round_ref) if round_ref is not None else None
    if label is not None:
        from meting import limits
        from meting.textfile import name_problem

        problem = name_problem(label, limits.ROUND_LABEL, "round label")
        if problem:
            fail(f"--label: {problem}")
    try:
        if watch:
            from meting.run.distributed import watch_round

            if round_id is None:
                raise command.CommandError("--watch needs the round to watch: --round ID")
            raise typer.Exit(watch_round(console, round_id, {}))
        code = command.run(console, set_name, round_id,
                           {"norm": norm, "concurrency": concurrency, "processes": processes},
                           label, part, executor)
    except command.CommandError as exc:
        fail(str(exc))
    raise typer.Exit(code)


@app.command("worker")
def worker(concurrency: Annotated[int | None, typer.Option(
        help="tests at once in this worker (default: the concurrency setting)")] = None) -> None:
    """A Celery worker for distributed rounds (meting run --executor celery); Ctrl-C stops it."""
    from meting import settings
    from meting.run.celery_app import DistributedError, run_worker

    try:
        run_worker(settings.load(), concurrency)
    except DistributedError as exc:
        fail(str(exc))


@app.command("import-results")
def import_results(
        path: Annotated[str, typer.Argument(help="status CSV (SPEC §8) or Internet.nl JSON")],
        kind: Annotated[str, typer.Option("--kind", help="web or mail")],
        label: Annotated[str, typer.Option("--round", help="round label (made when new)")],
        date: Annotated[str | None, typer.Option(help="date of a new round, YYYY-MM-DD")]
        = None,
        set_name: Annotated[str | None, typer.Option("--set", help="domain set of a new round")]
        = None,
        reactions: Annotated[str | None, typer.Option(
            help="CSV of formal reactions: organisation,text")] = None,
        encoding: Annotated[str | None, typer.Option(
            help="encoding of the files (default UTF-8; UTF-16 by its BOM)")] = None,
        register: Annotated[bool, typer.Option(
            help="register domains the registry lacks, from the file's category")] = True,
) -> None:
    """Store statuses measured elsewhere as a round; a file with errors imports nothing."""
    import datetime
    from pathlib import Path

    from meting import settings
    from meting.cli_results import ImportResultsError
    from meting.cli_results import import_results as store_results

    day = None
    try:
        day = datetime.date.fromisoformat(date) if date else None
    except ValueError:
        fail(f"--date {date!r} is not a date (YYYY-MM-DD)")
    try:
        info, stored, added = store_results(settings.load().database, Path(path), kind, label,
                                            day, set_name, Path(reactions) if reactions else None,
                                            encoding, register)
    except ImportResultsError as exc:
        fail(str(exc))
    console.print(f"{stored} {kind} results stored in round {info.label} ({info.date}); "
                  f"{added} domains added to the registry")


@app.command("report")
def report(round_ref: Annotated[str, typer.Option("--round", help="round label or number")],
           fmt: Annotated[str | None, typer.Option(
               "--format", help="html, pdf, xlsx, ods, csv or json (default: --out's suffix, "
               "else html)")] = None,
           lang: Annotated[str, typer.Option("--lang", help="nl or en")] = "nl",
           out: Annotated[str | None, typer.Option("--out", help="file to write")] = None,
           organisation: Annotated[str | None, typer.Option(
               help="only this organisation's domains (with --changes: its changes)")] = None,
           umbrella: Annotated[str | None, typer.Option(
               help="only this umbrella's organisations (with --changes: their changes)")]
           = None,
           parent: Annotated[str | None, typer.Option(
               help="only this parent organisation (e.g. a ministry) and those under it")]
           = None,
           changes: Annotated[bool, typer.Option(
               "--changes", help="what improved, regressed or is new since the previous "
               "round (a table; or --format json, csv or xlsx)")] = False) -> None:
    """A round's report: figures, trends, laggards, suppliers and the appendix; or the
    report for one organisation, umbrella or parent organisation; or, with --changes,
    what changed since the previous round."""
    from pathlib import Path

    from meting import settings
    from meting.cli_report_scope import scoped_report
    from meting.report.command import ReportError, write_report

    if changes:
        from meting.cli_review import change_report

        change_report(round_ref, fmt, lang, out, organisation, umbrella, changes)
        return
    if organisation or umbrella or parent:
        scoped_report(round_ref, fmt, lang, out, organisation, umbrella, parent)
        return
    try:
        paths = write_report(settings.load().database, round_ref, fmt, lang,
                             Path(out) if out else None)
    except ReportError as exc:
        fail(str(exc))
    for path in paths:
        console.print(f"report written to {path}")


@app.command("rejudge")
def rejudge_round(round_ref: Annotated[str, typer.Option(
                      "--round", help="the round (id or label)")],
                  norm: Annotated[str | None, typer.Option(help="norm version")] = None) -> None:
    """Judge a round's stored evidence again under a norm version (no network)."""
    from meting.cli_store import round_id
    from meting.run import command

    try:
        command.rejudge(console, round_id(round_ref), norm)
    except command.CommandError as exc:
        fail(str(exc))


@app.command("demo")
def demo(domains: Annotated[int, typer.Option(help="generated lab domains")] = 300) -> None:
    """Lab up with generated domains, a round over it in the lab, its report (meting-demo.*)."""
    from meting.demo import demo as run_demo
    from meting.run import command

    try:
        code = run_demo(console, domains)
    except (LabError, command.CommandError) as exc:
        fail(str(exc), error_path.EXIT_FAILED)
    raise typer.Exit(code)


app.command("rounds")(cli_store.rounds)
app.command("doctor")(cli_store.doctor)

from meting import cli_user  # noqa: E402  (the dashboard's commands, in their own module)

app.add_typer(cli_user.user_app, name="user")
app.command("serve")(cli_user.serve)

from meting import cli_review  # noqa: E402  (the review cycle's commands)

cli_review.register(app)

from meting import cli_internetnl  # noqa: E402  (Internet.nl's batch API, meting compare)

cli_internetnl.register(app)

from meting import cli_sets  # noqa: E402  (editing domains and domain sets)

cli_sets.register(app)

from meting import cli_monitor, cli_standards  # noqa: E402  (the annual monitor's commands)

app.add_typer(cli_standards.app, name="standards")
app.add_typer(cli_monitor.app, name="monitor")

from meting import cli_discovery  # noqa: E402  (discovery's commands)

cli_discovery.register(app)

if __name__ == "__main__":
    app()
