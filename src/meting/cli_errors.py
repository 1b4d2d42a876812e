"""The wrapper of every `meting` command: a failure is one line on stderr and an exit status
(``meting.errors``); ``--debug`` or ``METING_DEBUG=1`` shows the traceback instead."""

from __future__ import annotations

import os
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer._click import Context
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from meting.errors import EXIT_FAILED, EXIT_INPUT, explain

__all__ = ["EXIT_FAILED", "EXIT_INPUT", "MetingGroup", "say", "stop"]

DEBUG_ENV = "METING_DEBUG"

_debug = False


def set_debug(on: bool) -> None:
    global _debug
    _debug = on


def debugging() -> bool:
    return _debug or os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes")


def stderr() -> Console:
    # soft_wrap: a long message stays one line, also when stderr is no terminal
    return Console(stderr=True, soft_wrap=True)


def say(message: str) -> None:
    """Each line of the message as an error line (a list of problems, then a summary)."""
    console = stderr()
    for line in message.splitlines() or [""]:
        console.print(f"[bold red]error:[/] {escape(line.strip())}")


def stop(message: str, code: int = EXIT_INPUT) -> NoReturn:
    say(message)
    raise typer.Exit(code)


class MetingGroup(TyperGroup):
    """The `meting` app's command group: failures of any command end in ``explain``."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except (Exit, Abort, TyperException):  # usage errors, --help, exit statuses
            raise
        except Exception as exc:
            if debugging():
                raise
            code, message = explain(exc)
            say(message)
            raise typer.Exit(code) from None


