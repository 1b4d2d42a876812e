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


if __name__ == "__main__":
    app()
