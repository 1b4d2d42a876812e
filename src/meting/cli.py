"""The `meting` command."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from meting.lab.netns import LabError

app = typer.Typer(help="Measure how government domains apply the mandatory security standards.",
                  no_args_is_help=True)
lab_app = typer.Typer(help="The lab: a small internet of real servers in network namespaces.",
                      no_args_is_help=True)
app.add_typer(lab_app, name="lab")
check_app = typer.Typer(help="Test one web host or one mail domain now.", no_args_is_help=True)
app.add_typer(check_app, name="check")
psl_app = typer.Typer(help="The Public Suffix List used for DMARC's organisational domain.",
                      no_args_is_help=True)
app.add_typer(psl_app, name="psl")
console = Console()
errors = Console(stderr=True)


def fail(message: str) -> None:
    errors.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(2)


@lab_app.command("up")
def lab_up(domains: Annotated[int, typer.Option(help="generated domains to add")] = 0) -> None:
    """Build the lab (a healthy lab of the same size is left as it is)."""
    from meting.lab import lab

    try:
        with console.status("building the lab…") as spinner:
            info = lab.up(domains, progress=lambda stage: spinner.update(f"lab: {stage}…"))
    except LabError as exc:
        fail(str(exc))
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
        fail(str(exc))
    sys.exit(code)


def check(kind: str, target: str, as_json: bool, show_evidence: bool) -> None:
    import asyncio

    from meting.probe.routing import RoutingDataError
    from meting.registry.names import BadDomainName, display, normalise
    from meting.settings import load
    from meting.tester import routing_data, run_test

    try:
        name = normalise(target)
        settings = load()
        routing = routing_data(settings)
    except (BadDomainName, ValueError, RoutingDataError) as exc:
        fail(str(exc))
    try:
        evidence, judged = asyncio.run(run_test(kind, name, settings, routing))
    except TimeoutError:
        fail(f"the {kind} test of {name} did not finish within {settings.test_budget:g} s")
    result = {"target": name, "kind": kind, **judged}
    if show_evidence:
        result["evidence"] = evidence
    if as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    table = Table("", "status", "explanation", title=f"{kind} test of {display(name)}")
    for group in ("columns", "subtests"):
        for key, v in result[group].items():
            label = key if group == "columns" else f"  {key}"
            table.add_row(label, STATUS_STYLE.get(v["status"], v["status"]),
                          v["explanation"]["en"])
    console.print(table)


STATUS_STYLE = {"passed": "[green]passed[/]", "failed": "[red]failed[/]",
                "warning": "[yellow]warning[/]", "info": "[cyan]info[/]"}


@check_app.command("web")
def check_web(host: str, as_json: Annotated[bool, typer.Option("--json")] = False,
              evidence: Annotated[bool, typer.Option(help="include the evidence")] = False,
              ) -> None:
    """Test a web host (e.g. www.example.nl)."""
    check("web", host, as_json, evidence)


@check_app.command("mail")
def check_mail(domain: str, as_json: Annotated[bool, typer.Option("--json")] = False,
               evidence: Annotated[bool, typer.Option(help="include the evidence")] = False,
               ) -> None:
    """Test a mail domain (e.g. example.nl)."""
    check("mail", domain, as_json, evidence)


@psl_app.command("update")
def psl_update(from_file: Annotated[str | None, typer.Option(
        "--from", help="a list file to use instead of downloading")] = None) -> None:
    """Fetch the current Public Suffix List (or take a file) and use it from now on."""
    from pathlib import Path

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
        fail(f"the Public Suffix List was not updated: {exc}")
    console.print(f"Public Suffix List saved to {path}")


if __name__ == "__main__":
    app()
