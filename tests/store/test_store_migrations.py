"""The schema comes from the shipped migrations and matches the models."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from meting.store import Store, StoreError, migrate
from meting.store.models import Base
from tests import services

TABLES = {"organisations", "domains", "domain_sets", "domain_set_members", "rounds", "tests",
          "evidence"}


def test_opening_an_empty_database_migrates_it_to_head(store_url: str) -> None:
    with Store.open(store_url) as store, store.engine.connect() as connection:
        assert migrate.current(connection) == migrate.head()
        assert set(inspect(connection).get_table_names()) >= TABLES
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_the_head_written_in_the_code_is_the_migrations_head(store_url: str) -> None:
    assert migrate.head() == migrate.HEAD
    with Store.open(store_url) as store, store.engine.connect() as connection:
        assert migrate.at_head(connection)
        command.downgrade(migrate.config(connection), "-1")
        connection.commit()
        assert not migrate.at_head(connection)  # the next opening migrates again
    with Store.open(store_url) as store, store.engine.connect() as connection:
        assert migrate.current(connection) == migrate.HEAD


def test_opening_again_keeps_the_data(store_url: str) -> None:
    with Store.open(store_url) as store:
        store.create_round(None, "current", label="eerste")
    with Store.open(store_url) as store:
        assert [r.label for r in store.rounds()] == ["eerste"]


def test_migrations_go_down_and_up_again(store_url: str) -> None:
    with Store.open(store_url) as store, store.engine.connect() as connection:
        command.downgrade(migrate.config(connection), "base")
        connection.commit()
        assert migrate.current(connection) is None
        assert not TABLES & set(inspect(connection).get_table_names())
        command.upgrade(migrate.config(connection), "head")
        connection.commit()
        assert migrate.current(connection) == migrate.head()


def test_migrations_run_from_a_url_alone(store_url: str) -> None:
    """How a developer runs them (e.g. to autogenerate the next revision): no ini file."""
    command.upgrade(migrate.config(url=store_url), "head")
    with Store.open(store_url) as store, store.engine.connect() as connection:
        assert migrate.current(connection) == migrate.head()


def test_a_sqlite_file_in_a_missing_directory_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="there is no directory"):
        Store.open(f"sqlite:///{tmp_path / 'nowhere' / 'meting.db'}")


def test_a_database_of_an_older_schema_is_upgraded_with_its_data(store_url: str) -> None:
    with Store.open(store_url) as store:
        store.create_round(None, "2021", label="oud")
        with store.engine.connect() as connection:
            command.downgrade(migrate.config(connection), "0001")
            connection.commit()
            assert "reactions" not in inspect(connection).get_table_names()
    with Store.open(store_url) as store:
        assert [r.label for r in store.rounds()] == ["oud"]
        assert store.reactions(store.rounds()[0].id) == {}


def test_a_postgresql_url_without_a_driver_uses_psycopg(postgres_server: Path) -> None:
    url = services.postgres_database(postgres_server, "meting_store_plain_url")
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    assert plain != url
    try:
        with Store.open(plain) as store:
            assert store.engine.driver == "psycopg"
            assert store.rounds() == []
    finally:
        with psycopg.connect(host=str(postgres_server), port=services.PG_PORT, user="postgres",
                             dbname="postgres", autocommit=True) as admin:
            admin.execute("DROP DATABASE meting_store_plain_url WITH (FORCE)")
