"""Alembic environment for coord.

coord runs migrations through :func:`coord.store.migrate.upgrade`, which passes an open
connection (already in a transaction) in ``config.attributes["connection"]``. Run from the
``alembic`` command line, ``sqlalchemy.url`` (or ``COORD_DB``) names the database.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from coord.store.engine import create_engine_for
from coord.store.schema import metadata

config = context.config
target_metadata = metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("COORD_DB", "coord.db")
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("COORD_DB", "coord.db")
    engine = create_engine_for(url)
    try:
        with engine.connect() as new_connection:
            _run(new_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
