"""Which database a command works on, and opening it.

``--db URL`` (after the command name), else ``COORD_DB``, else a SQLite file
``coord.db`` in the current directory. A plain path means a SQLite file;
``postgresql+psycopg://...`` selects PostgreSQL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from coord.projections.projector import Projector
from coord.projections.rebuild import rebuild
from coord.store.engine import Engine, create_engine_for, describe_url, sqlite_file
from coord.store.log import EventStore
from coord.store.migrate import check_schema, current_time_zone, upgrade
from coord.store.readmodels import checkpoint

DEFAULT_DB = "coord.db"
DB_ENV = "COORD_DB"


class DatabaseNotFound(Exception):
    """The SQLite file named does not exist (and the command would not create it)."""


def resolve_url(db: str | None) -> str:
    """The database URL a command uses: the option, else ``COORD_DB``, else ``coord.db``."""
    return db or os.environ.get(DB_ENV) or DEFAULT_DB


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL or plain path; None for other databases or in-memory."""
    file = sqlite_file(url)
    return None if file is None else Path(file)


def describe(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return describe_url(url)


@dataclass
class Database:
    """An opened coord database: its engine, event store and network time zone."""

    url: str
    engine: Engine
    store: EventStore
    time_zone: ZoneInfo

    def close(self) -> None:
        self.store.close()
        self.engine.dispose()


def initialise(url: str, time_zone: str | None = None) -> Database:
    """Create or upgrade the schema to the latest migration (idempotent)."""
    path = sqlite_path(url)
    if path is not None and not path.parent.exists():
        raise DatabaseNotFound(f"folder {path.parent} does not exist; create it first")
    engine = create_engine_for(url)
    store = _event_store(engine)
    try:
        upgrade(engine, time_zone)
        database = Database(url, engine, store, current_time_zone(engine))
        if read_models_behind(database):
            rebuild(database.store)  # a log stored before the read models existed
        return database
    except BaseException:
        store.close()
        engine.dispose()
        raise


def open_database(url: str) -> Database:
    """Open an initialised database; a missing SQLite file is an error, never created."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise DatabaseNotFound(
            f"no coord database at {path}; run `coord init --db {url}` to create one, "
            f"or pass --db / set {DB_ENV} to use another"
        )
    engine = create_engine_for(url)
    try:
        check_schema(engine)
        zone = current_time_zone(engine)
        return Database(url, engine, _event_store(engine), zone)
    except BaseException:
        engine.dispose()
        raise


def _event_store(engine: Engine) -> EventStore:
    """The event store of an opened database: the projections kept in every append, and
    a SQLite file's WAL checkpointed on a thread of its own (stopped by ``close``)."""
    return EventStore(engine, Projector(), wal_checkpoints=True)


def read_models_behind(database: Database) -> bool:
    """Whether the read models lack events of the log (they never do once current: every
    append moves them on in its own transaction)."""
    with database.store.reading() as reader:
        head = reader.head()
        return checkpoint(reader.connection) != (head.position if head else 0)
