"""Bringing a database to the newest schema with the migrations shipped in the package.

A schema change is a change to ``models.py`` plus a new revision in
``migrations/versions``; write it from what Alembic proposes against a database at head:

    from alembic import command
    from meting.store import migrate
    command.revision(migrate.config(url="sqlite:////tmp/head.db"), message="...",
                     autogenerate=True, rev_id="0003")

(``tests/store/test_store_migrations.py`` checks that models and migrations agree.)
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: the key of the PostgreSQL advisory lock held while migrating.
PG_LOCK_KEY = 5_246_183_001
# The newest revision in ``migrations/versions``, so that opening a database already at
# it needs neither Alembic nor its scripts (half a second of every process's start-up);
# tests/store/test_store_migrations.py checks it against Alembic's own head.
HEAD = "16b"
VERSION_TABLE = "alembic_version"


def config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic configuration without an ini file: the shipped scripts, this connection."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision, as Alembic reads it from the shipped scripts."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(config()).get_current_head()
    if revision is None:
        raise RuntimeError("the store ships no migrations")
    return revision


def current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def at_head(connection: Connection) -> bool:
    """Is the database at ``HEAD``? Read with plain SQL, as Alembic keeps it: one row."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return False
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    return [tuple(row) for row in rows] == [(HEAD,)]


def upgrade(engine: Engine) -> None:
    """Migrate to head; concurrent openers of the same database wait for each other."""
    with engine.connect() as connection:
        if at_head(connection):
            return
    from alembic import command

    with _exclusive(engine), engine.connect() as connection:
        if current(connection) != head():
            command.upgrade(config(connection), "head")
            connection.commit()


@contextmanager
def _exclusive(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as lock:
            lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
            try:
                yield
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
                lock.commit()
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    # flock is apart from SQLite's own (fcntl) locks on Linux, so the file itself serves.
    with open(database, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
