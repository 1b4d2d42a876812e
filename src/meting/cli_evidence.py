"""`meting evidence schema`: the evidence's JSON Schema, as published in docs/."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

evidence_app = typer.Typer(help="The evidence's schema (docs/evidence.md).", no_args_is_help=True)


@evidence_app.command("schema")
def schema(out: Annotated[Path | None, typer.Option(
        help="write it here (e.g. docs/evidence-schema.json) instead of printing it")] = None,
           ) -> None:
    """Print (or write) the JSON Schema of the current evidence version."""
    from meting.evidence.schema import schema_text

    text = schema_text()
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        typer.echo(f"error: cannot write {out}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"evidence schema written to {out}")
