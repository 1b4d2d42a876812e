"""Alembic environment of the store: the caller gives the connection (or URL), no ini file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from meting.store.models import Base


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("the store's migrations need a connection or sqlalchemy.url")
    engine = create_engine(url)
    try:
        with engine.connect() as new_connection:
            run(new_connection)
    finally:
        engine.dispose()


main()
