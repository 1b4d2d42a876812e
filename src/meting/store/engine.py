"""Engines for the store's two backends: a SQLite file (WAL, busy timeout) or PostgreSQL."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, StaticPool, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from meting.store.records import StoreError

BUSY_TIMEOUT_MS = 60_000  # a second writer waits this long for the first


def parse(url: str) -> URL:
    """The database URL, or StoreError (never showing a password) when it is none."""
    try:
        return make_url(url)
    except ArgumentError:
        shown = url.split("@")[-1] if "@" in url else url
        raise StoreError(f"the database setting ({shown!r}, METING_DATABASE) is not a "
                         "database URL; e.g. sqlite:///meting.db or "
                         "postgresql://user@host/dbname") from None


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for PostgreSQL or an in-memory database."""
    parsed = parse(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database is None or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def make_engine(url: str) -> Engine:
    parsed = parse(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver meting installs
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    memory = parsed.database in (None, "", ":memory:")
    if not memory and parsed.database and not parsed.database.startswith("file:"):
        folder = Path(parsed.database).parent
        if not folder.is_dir():
            raise StoreError(f"cannot make the database {parsed.database}: there is no "
                             f"directory {folder}")
    options: dict[str, Any] = {"poolclass": StaticPool} if memory else {}
    engine = create_engine(
        parsed,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        **options,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _use_wal(cursor: Any) -> None:
    """Switch a database to WAL once; the mode is kept in the file.

    Switching needs the file to itself, and SQLite answers "locked" at once, without its busy
    handler, when another process opens a new database at the same moment; so look again.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.01
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: no corruption, fewer fsyncs
    finally:
        cursor.close()
