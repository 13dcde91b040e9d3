"""Alembic environment: the URL comes from the Alembic config when given, else from settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import siyu.models  # noqa: F401 - registers every table on the metadata
from siyu.config import get_settings
from siyu.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed over by tests and the CLI
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().effective_database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Siyu migrations run online only: use `siyu db upgrade`.")
run_migrations_online()
