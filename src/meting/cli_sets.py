"""`meting domain remove` and `meting set ...`: editing the registry one piece at a time, with
the same service as the dashboard's registry pages (meting.store.registry_edit)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from meting.errors import EXIT_INPUT
from meting.settings import load
from meting.store import Store, StoreError
from meting.store.registry_edit import RegistryEditor

domain_app = typer.Typer(help="Domains of the registry, one at a time.", no_args_is_help=True)
set_app = typer.Typer(help="Domain sets: create, rename, delete, add and remove domains.",
                      no_args_is_help=True)
out = Console()
err = Console(stderr=True)
T = TypeVar("T")


def register(app: typer.Typer) -> None:
    app.add_typer(domain_app, name="domain")
    app.add_typer(set_app, name="set")


def _fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(EXIT_INPUT)


@contextmanager
def _editor() -> Iterator[RegistryEditor]:
    try:
        with Store.open(load().database, create=False, verify=True) as store:
            yield RegistryEditor(store)
    except StoreError as exc:
        _fail(str(exc))


def _edit(change: Callable[[RegistryEditor], T]) -> T:
    with _editor() as editor:
        return change(editor)


@domain_app.command("remove")
def remove_domain(name: str,
                  yes: Annotated[bool, typer.Option("--yes", help="do not ask")] = False) -> None:
    """Delete a domain that no round measured (refused, with the rounds, when one did)."""
    use = _edit(lambda e: e.domain_use(name))
    if not use.deletable:
        _edit(lambda e: e.delete_domain(name))  # refused, with its message
    if not yes and not typer.confirm(f"delete {use.domain} of {use.organisation}?"):
        raise typer.Exit(1)
    _edit(lambda e: e.delete_domain(name))
    out.print(f"domain {escape(use.domain)} of {escape(use.organisation)} deleted")


@set_app.command("list")
def list_sets() -> None:
    """Every domain set, its size and the rounds of it."""
    table = Table("set", "domains", "rounds")
    for found in _edit(lambda e: e.sets()):
        table.add_row(escape(found.name), str(found.size), escape(", ".join(found.rounds)))
    out.print(table)


@set_app.command("add")
def create_set(name: str) -> None:
    """Create an empty domain set."""
    made = _edit(lambda e: e.create_set(name))
    out.print(f"set {escape(made.name)} created")


@set_app.command("rename")
def rename_set(name: str, new_name: str) -> None:
    """Rename a set (its rounds are named after the new name too)."""
    stored = _edit(lambda e: e.rename_set(e.set_id(name), new_name))
    out.print(f"set {escape(name)} is now {escape(stored)}")


@set_app.command("delete")
def delete_set(name: str) -> None:
    """Delete a set; its domains stay in the registry."""
    gone = _edit(lambda e: e.delete_set(e.set_id(name)))
    out.print(f"set {escape(gone)} deleted")


@set_app.command("include")
def include(name: str, domains: list[str]) -> None:
    """Add registered domains to a set (one unknown name and nothing is added)."""
    added = _edit(lambda e: e.add_domains(e.set_id(name), domains))
    out.print(f"{added} domain(s) added to set {escape(name)}")


@set_app.command("exclude")
def exclude(name: str, domains: list[str]) -> None:
    """Take domains out of a set (they stay in the registry)."""
    removed = _edit(lambda e: e.remove_domains(e.set_id(name), domains))
    out.print(f"{removed} domain(s) taken out of set {escape(name)}")
