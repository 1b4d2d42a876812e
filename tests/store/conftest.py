"""Every store test runs on a SQLite file and on a real, throwaway PostgreSQL server."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from meting.store import Store
from tests import services

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Path]:
    """The socket directory of a PostgreSQL server for this test session.

    Missing server binaries fail the tests (CI installs them), they are never skipped.
    """
    problem = None
    try:
        with services.postgres_server() as socket_dir:
            yield socket_dir
    except services.ServiceError as exc:
        problem = str(exc)
    if problem is not None:
        pytest.fail(f"the store tests need a PostgreSQL server: {problem}", pytrace=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'meting.db'}"
        return
    socket_dir: Path = request.getfixturevalue("postgres_server")
    name = f"meting_store_test_{next(_databases)}"
    yield services.postgres_database(socket_dir, name)
    with psycopg.connect(host=str(socket_dir), port=services.PG_PORT, user="postgres",
                         dbname="postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    try:
        yield opened
    finally:
        opened.close()
