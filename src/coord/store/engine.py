"""Creating an engine for a ``--db`` value: a SQLite file (or URL) or PostgreSQL.

SQLite: WAL journal, a 30 s busy timeout, foreign keys on, and the SQLAlchemy pysqlite
recipe for real transactions ("Serializable isolation / Savepoints / Transactional DDL"):
the driver's own transaction handling is switched off on connect and the ``begin`` event
emits ``BEGIN`` itself - ``BEGIN IMMEDIATE`` when the connection carries the execution
option :data:`WRITE`, so a writing unit of work takes the database's write lock up front.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, DBAPIError

#: ``Engine`` and ``Connection`` are exported so that layers above the store can name the
#: engine and connection it hands them without importing SQLAlchemy themselves.
__all__ = [
    "WRITE",
    "Connection",
    "Engine",
    "create_engine_for",
    "describe_url",
    "driver_execute",
    "driver_rows",
    "is_postgresql",
    "normalise_url",
    "sqlite_file",
]

#: Execution option marking a connection whose next transaction writes (SQLite: BEGIN IMMEDIATE).
WRITE = "coord_write"

BUSY_TIMEOUT_SECONDS = 30


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def normalise_url(url: str) -> URL:
    """A SQLAlchemy URL for a ``--db`` value.

    A value without ``://`` is a SQLite file path; ``postgresql://`` and ``postgres://``
    select the psycopg 3 driver.
    """
    if "://" not in url:
        return URL.create("sqlite", database=url)
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite ``--db`` value (a plain path or a ``sqlite://`` URL); None for
    other databases, in-memory SQLite, or a URL that cannot be parsed."""
    if "://" not in url:
        return url
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return parsed.database


def describe_url(url: str) -> str:
    """A ``--db`` value with any password hidden, for messages."""
    if "://" not in url:
        return url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def create_engine_for(url: str) -> Engine:
    """An engine for a SQLite path or URL, or a ``postgresql+psycopg://`` URL."""
    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = create_engine(
            parsed,
            connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise ValueError(f"use a postgresql+psycopg:// URL, not {parsed.drivername}://")
        return create_engine(
            parsed,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
            pool_pre_ping=True,
        )
    raise ValueError(
        f"unsupported database {parsed.drivername!r}; give a SQLite file path "
        "or a postgresql+psycopg:// URL"
    )


def is_postgresql(connection: Connection | Engine) -> bool:
    return connection.dialect.name == "postgresql"


def driver_execute(
    connection: Connection, statement: str, parameters: Sequence[Any] = (), *, many: bool = False
) -> int:
    """Run ``statement`` (in the driver's parameter style) on the connection's own driver
    cursor, inside its transaction; the number of rows it changed. For the few statements
    every command runs: SQLAlchemy's work per statement (its execution context, result
    and events) costs several times SQLite's own. A driver error is raised as
    SQLAlchemy's (``OperationalError``, ``IntegrityError``, ...), as ``execute`` raises it."""
    cursor = _driver_cursor(connection, statement, parameters, many)
    try:
        if many:
            cursor.executemany(statement, parameters)
        else:
            cursor.execute(statement, parameters)
        return int(cursor.rowcount)
    except connection.dialect.loaded_dbapi.Error as error:
        raise _wrapped(connection, statement, parameters, error) from error
    finally:
        cursor.close()


def driver_rows(
    connection: Connection, statement: str, parameters: Sequence[Any] = ()
) -> list[Any]:
    """The rows of a query run as :func:`driver_execute` runs a statement (values as the
    driver gives them, untyped by SQLAlchemy)."""
    cursor = _driver_cursor(connection, statement, parameters, False)
    try:
        cursor.execute(statement, parameters)
        return list(cursor.fetchall())
    except connection.dialect.loaded_dbapi.Error as error:
        raise _wrapped(connection, statement, parameters, error) from error
    finally:
        cursor.close()


def _driver_cursor(
    connection: Connection, statement: str, parameters: Sequence[Any], many: bool
) -> Any:
    """A cursor of the connection's driver for ``statement``, announced to SQLAlchemy's
    listeners as an ``execute`` announces it (``before_cursor_execute``: listeners see
    every statement; without one it costs a truth test). The caller runs the statement,
    raises a driver error as :func:`_wrapped`, and closes the cursor (in line, not in a
    context manager: these run several times in every command)."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    listeners = connection.dispatch.before_cursor_execute
    if listeners:  # an empty collection is false
        try:
            listeners(connection, cursor, statement, parameters, None, many)
        except BaseException:
            cursor.close()
            raise
    return cursor


def _wrapped(
    connection: Connection, statement: str, parameters: Sequence[Any], error: Exception
) -> DBAPIError:
    """The driver's ``error`` as SQLAlchemy raises it from an ``execute``."""
    dialect = connection.dialect
    wrapped = DBAPIError.instance(
        statement, parameters, error, dialect.loaded_dbapi.Error, dialect=dialect
    )
    assert isinstance(wrapped, DBAPIError)  # the error is one of the driver's
    return wrapped


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Stop pysqlite from issuing BEGIN (and COMMIT before DDL) on its own.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    immediate = bool(connection.get_execution_options().get(WRITE))
    # on the driver (a failure to take the write lock is sqlite3's OperationalError)
    driver_execute(connection, "BEGIN IMMEDIATE" if immediate else "BEGIN")
