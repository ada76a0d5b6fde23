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
from coord.store.log import EventStore, Reader
from coord.store.migrate import check_schema, upgrade
from coord.store.readmodels import checkpoint, network_time_zone

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
    """An opened coord database: its engine, event store and network time zone.

    ``time_zone`` is the zone stored when the database was opened. Another process may
    store another one meanwhile (``coord init --tz``): a command (one process, one
    query) need not care, but a long-lived session (the terminal UI) reads it again with
    :meth:`head_and_time_zone` as it follows the log, and its rule checks read it in
    their own transaction (:func:`stored_time_zone`).
    """

    url: str
    engine: Engine
    store: EventStore
    time_zone: ZoneInfo

    def close(self) -> None:
        self.store.close()
        self.engine.dispose()

    def head_and_time_zone(self) -> tuple[int, ZoneInfo]:
        """The log's head position (0 when empty) and the network's time zone as stored
        now, read together in one transaction (what the terminal UI polls)."""
        with self.store.reading() as reader:
            head = reader.head()
            return (head.position if head else 0), stored_time_zone(reader)


def stored_time_zone(reader: Reader) -> ZoneInfo:
    """The network's time zone as stored now, read in the reader's transaction (one
    small query)."""
    return network_time_zone(reader.connection)


def initialise(url: str, time_zone: str | None = None) -> Database:
    """Create or upgrade the schema to the latest migration (idempotent)."""
    path = sqlite_path(url)
    if path is not None and not path.parent.exists():
        raise DatabaseNotFound(f"folder {path.parent} does not exist; create it first")
    engine = create_engine_for(url)
    store = _event_store(engine)
    try:
        database = Database(url, engine, store, upgrade(engine, time_zone))
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
        return Database(url, engine, _event_store(engine), check_schema(engine))
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
