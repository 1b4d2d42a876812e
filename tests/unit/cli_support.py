"""`meting` run in-process on a database of its own in a test's temporary folder."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from meting.cli import app


def store_env(tmp_path: Path) -> dict[str, str]:
    """Settings of a fresh SQLite database, and no meting.toml read from elsewhere."""
    return {"METING_DATABASE": f"sqlite:///{tmp_path / 'meting.db'}",
            "METING_CONFIG": str(tmp_path / "absent.toml")}


def meting(*args: str, env: dict[str, str]) -> Result:
    return CliRunner().invoke(app, list(args), env=env)
