"""`meting user ...` (dashboard accounts) and `meting serve` (the dashboard)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from meting.settings import load
from meting.store import Store, StoreError

user_app = typer.Typer(help="Accounts of the dashboard (meting serve).", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(2)


def _accounts(store: Store):  # type: ignore[no-untyped-def]
    from meting.web.accounts import Accounts

    return Accounts(store)


@user_app.command("add")
def add(email: str,
        role: Annotated[str, typer.Option(help="coordinator, umbrella or organisation")],
        organisation: Annotated[list[str] | None, typer.Option(
            help="the organisation (repeat for organisations sharing an ICT provider)")] = None,
        umbrella: Annotated[str | None, typer.Option(help="the umbrella organisation")] = None,
        lang: Annotated[str | None, typer.Option(
            help="nl or en: the dashboard's and the mails' language (default: setting lang)")]
        = None,
        ) -> None:
    """Create an account and print its one-time password."""
    settings = load()
    try:
        with Store.open(settings.database) as store:
            password = _accounts(store).add(email, role, organisation or [], umbrella,
                                            lang or settings.lang)
    except StoreError as exc:
        _fail(str(exc))
    out.print(f"account {escape(email)} ({role}) created; one-time password: {password}",
              soft_wrap=True)


@user_app.command("list")
def list_users() -> None:
    """Every account, its role and what it sees."""
    with Store.open(load().database) as store:
        found = _accounts(store).list()
    table = Table("email", "role", "sees")
    for email, role, scope in found:
        table.add_row(escape(email), role, escape(scope or "everything"))
    out.print(table)


@user_app.command("remove")
def remove(email: str) -> None:
    """Remove an account (its sessions and tokens end)."""
    try:
        with Store.open(load().database) as store:
            _accounts(store).remove(email)
    except StoreError as exc:
        _fail(str(exc))
    out.print(f"account {escape(email)} removed")


@user_app.command("token")
def token(email: str) -> None:
    """Make an API token for the account (Authorization: Bearer TOKEN); shown once."""
    try:
        with Store.open(load().database) as store:
            made = _accounts(store).new_token(email)
    except StoreError as exc:
        _fail(str(exc))
    out.print(made)


def serve(host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="port to listen on")] = 8080,
          uds: Annotated[str | None, typer.Option(
              help="listen on this Unix socket instead (for a reverse proxy)")] = None,
          forwarded_allow_ips: Annotated[str, typer.Option(
              help="proxies whose X-Forwarded-For/-Proto are trusted")] = "127.0.0.1") -> None:
    """The dashboard: a web application on the store (Ctrl-C stops it)."""
    import uvicorn

    from meting.web.app import create_app

    settings = load()
    try:
        store = Store.open(settings.database)
    except StoreError as exc:
        _fail(str(exc))
    with store:
        app = create_app(store, settings)
        where = f"unix:{uds}" if uds else f"http://{host}:{port}/"
        out.print(f"dashboard on {where} (database {settings.database}; rounds started there "
                  f"run with the {settings.dashboard_executor} executor)", soft_wrap=True)
        uvicorn.run(app, host=host, port=port, uds=uds, proxy_headers=True,
                    forwarded_allow_ips=forwarded_allow_ips, log_level="warning",
                    server_header=False)
