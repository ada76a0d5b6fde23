"""Creating an engine for a ``--db`` value: a SQLite file (or URL) or PostgreSQL.

SQLite: WAL journal, a 30 s busy timeout, foreign keys on, and the SQLAlchemy pysqlite
recipe for real transactions ("Serializable isolation / Savepoints / Transactional DDL"):
the driver's own transaction handling is switched off on connect and the ``begin`` event
emits ``BEGIN`` itself - ``BEGIN IMMEDIATE`` when the connection carries the execution
option :data:`WRITE`, so a writing unit of work takes the database's write lock up front.
"""

from __future__ import annotations

import select
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError

#: ``Engine`` and ``Connection`` are exported so that layers above the store can name the
#: engine and connection it hands them without importing SQLAlchemy themselves.
__all__ = [
    "WRITE",
    "Connection",
    "Engine",
    "begin_with",
    "commit_with_pending",
    "create_engine_for",
    "defer",
    "defer_query",
    "describe_url",
    "driver_execute",
    "driver_rows",
    "flush_pending",
    "is_pending",
    "is_postgresql",
    "normalise_url",
    "pending_writes",
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
        engine = create_engine(parsed, json_serializer=_json_dumps, json_deserializer=orjson.loads)
        event.listen(engine, "checkout", _postgresql_on_checkout)
        event.listen(engine, "before_cursor_execute", _flush_before_statement)
        return engine
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
    SQLAlchemy's (``OperationalError``, ``IntegrityError``, ...), as ``execute`` raises it.

    On PostgreSQL, the writes deferred before it (:func:`defer`), and the ``BEGIN`` of a
    transaction it opens, go to the server with it, in one round trip (see
    :func:`defer`)."""
    count, _ = _run(connection, statement, parameters, many, fetch=False)
    return count


def driver_rows(
    connection: Connection, statement: str, parameters: Sequence[Any] = ()
) -> list[Any]:
    """The rows of a query run as :func:`driver_execute` runs a statement (values as the
    driver gives them, untyped by SQLAlchemy)."""
    _, rows = _run(connection, statement, parameters, False, fetch=True)
    return rows


def _run(
    connection: Connection, statement: str, parameters: Sequence[Any], many: bool, *, fetch: bool
) -> tuple[int, list[Any]]:
    # taken before the listeners are told of the statement (_flush_before_statement would
    # send them in a round trip of their own); none on SQLite, where nothing waits
    # (looking cost a SQLite command ~1.5 us a statement, 7 statements, ~1 % of its work)
    pending = _take_pending(connection) if is_postgresql(connection) else []
    if pending:
        _announce(connection, pending)
    cursor = _driver_cursor(connection, statement, parameters, many)
    queries: list[tuple[Any, list[Any]]] = []
    try:
        if pending or _opens_transaction(connection, cursor.connection):
            # one round trip: the pipeline's end (a sync) sends everything and waits for
            # every result, this statement's last
            with cursor.connection.pipeline():
                for entry in pending:
                    _send(cursor, entry, queries)
                if many:
                    cursor.executemany(statement, parameters)
                else:
                    cursor.execute(statement, parameters)
            _fetch(queries)
        elif many:
            cursor.executemany(statement, parameters)
        else:
            cursor.execute(statement, parameters)
        return int(cursor.rowcount), list(cursor.fetchall()) if fetch else []
    except connection.dialect.loaded_dbapi.Error as error:
        wrapped = _wrapped(connection, statement, parameters, error)
        raise _translated(pending, error) or wrapped from wrapped
    finally:
        cursor.close()
        _close(queries)


def begin_with(
    connection: Connection,
    statement: str,
    parameters: Sequence[Any] = (),
    then: Sequence[tuple[str, Sequence[Any]]] = (),
) -> list[list[Any]]:
    """PostgreSQL: ``BEGIN`` then ``statement`` (then the queries ``then``, each its
    statement and parameters: fresh snapshots, taken after ``statement`` has run), in one
    round trip; the rows of each query of ``then``. The connection must be in
    ``AUTOCOMMIT`` (``execution_options(isolation_level="AUTOCOMMIT")``, which the pool
    undoes when it takes the connection back): psycopg then leaves the transaction to us,
    where it otherwise sends its own ``BEGIN`` first and waits for its answer (also in a
    pipeline). SQLAlchemy's commit and rollback still end the transaction (psycopg sends
    them while one is open). Errors are raised as :func:`driver_execute` raises them."""
    cursor = _driver_cursor(connection, statement, parameters, False)
    # a cursor keeps only its last statement's rows: one per query (each announced to
    # the listeners as its statement)
    queries: list[Any] = []
    try:
        for query_statement, query_parameters in then:
            queries.append(_driver_cursor(connection, query_statement, query_parameters, False))
        if not cursor.connection.autocommit:
            raise ValueError("begin_with needs a connection in AUTOCOMMIT")
        with cursor.connection.pipeline():
            cursor.execute("BEGIN")
            cursor.execute(statement, parameters)
            for query, (query_statement, query_parameters) in zip(queries, then, strict=True):
                query.execute(query_statement, query_parameters)
        return [list(query.fetchall()) for query in queries]
    except connection.dialect.loaded_dbapi.Error as error:
        raise _wrapped(connection, statement, parameters, error) from error
    finally:
        cursor.close()
        for query in queries:
            query.close()


def _opens_transaction(connection: Connection, driver: Any) -> bool:
    """Whether a statement on PostgreSQL starts the transaction: psycopg sends its
    ``BEGIN`` first, a round trip of its own unless both go in one pipeline."""
    if connection.dialect.name != "postgresql" or driver.autocommit:
        return False
    return bool(driver.pgconn.transaction_status == _IDLE)


#: libpq's transaction status of a connection outside any transaction (PQTRANS_IDLE)
_IDLE = 0


# --- writes sent later, with the next statement or the COMMIT (PostgreSQL) -----------

#: ``Connection.info`` key of a unit of work's deferred writes (present only while
#: :func:`pending_writes` allows them)
_PENDING = "coord_pending_writes"


class _Pending(NamedTuple):
    statement: str
    parameters: Sequence[Any]
    many: bool
    #: what the driver's error becomes when this write may have caused it (None: as
    #: SQLAlchemy raises it)
    translate: Callable[[Exception], Exception | None] | None
    #: a query's (:func:`defer_query`): where its rows go once it has been sent
    rows: list[Any] | None = None


def pending_writes(connection: Connection, allowed: bool) -> None:
    """Allow :func:`defer` on this connection (a writing unit of work on PostgreSQL,
    which commits with :func:`commit_with_pending`), or stop allowing it and forget any
    writes still pending (its transaction is rolled back)."""
    if allowed:
        connection.info[_PENDING] = []
    else:
        connection.info.pop(_PENDING, None)


def defer(
    connection: Connection,
    statement: str,
    parameters: Sequence[Any] = (),
    *,
    many: bool = False,
    translate: Callable[[Exception], Exception | None] | None = None,
) -> None:
    """Run a write whose result nothing reads (as :func:`driver_execute`) later, where
    :func:`pending_writes` allows it: PostgreSQL answers every statement with a round trip
    of its own, and a command's writes (its event, its read-model rows) would otherwise
    wait for one each. They go, in order, in one pipeline with the next statement run by
    :func:`driver_execute` or :func:`driver_rows`, or just before one run by SQLAlchemy
    (:func:`_flush_before_statement`), or with the unit of work's COMMIT. A deferred write
    that fails fails that statement (or the commit): its error is raised there, as
    ``translate`` makes it, and the transaction is rolled back as for any error.

    Elsewhere (SQLite, or outside a writing unit of work) it runs at once. A statement
    sent on the driver's own cursor without these (a ``COPY``) must be preceded by
    :func:`flush_pending`."""
    pending: list[_Pending] | None = connection.info.get(_PENDING)
    if pending is None:
        _run(connection, statement, parameters, many, fetch=False)
        return
    pending.append(_Pending(statement, parameters, many, translate))


def defer_query(
    connection: Connection, statement: str, parameters: Sequence[Any] = ()
) -> list[Any]:
    """A query sent as :func:`defer` sends a write: with the next statement (after the
    writes deferred before it, so it sees them), in that statement's round trip. Its
    rows are in the list returned once that statement has run (or
    :func:`flush_pending`); until then the list is empty. For a read whose answer is
    needed only after a statement that has to wait for the server anyway (the
    projector's subjects, read with the checkpoint's move: a round trip fewer).

    Elsewhere (SQLite, or outside a writing unit of work) it runs at once."""
    pending: list[_Pending] | None = connection.info.get(_PENDING)
    if pending is None:
        return driver_rows(connection, statement, parameters)
    rows: list[Any] = []
    pending.append(_Pending(statement, parameters, False, None, rows))
    return rows


def is_pending(connection: Connection, statement: str) -> bool:
    """Whether a write of this statement waits to be sent on the connection."""
    pending: list[_Pending] = connection.info.get(_PENDING) or []
    return any(entry.statement == statement for entry in pending)


def flush_pending(connection: Connection) -> None:
    """Send the deferred writes now (one round trip; none when there are none)."""
    pending = _take_pending(connection)
    if pending:
        _send_pending(connection, pending, commit=False)


def commit_with_pending(connection: Connection) -> None:
    """Send the deferred writes and ``COMMIT`` in one round trip (when there are any;
    the transaction is then over, and SQLAlchemy's own commit finds nothing to do)."""
    pending = _take_pending(connection)
    if pending:
        _send_pending(connection, pending, commit=True)


def _take_pending(connection: Connection) -> list[_Pending]:
    pending: list[_Pending] | None = connection.info.get(_PENDING)
    if not pending:
        return []
    connection.info[_PENDING] = []
    return pending


def _send_pending(connection: Connection, pending: list[_Pending], *, commit: bool) -> None:
    _announce(connection, pending)
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    queries: list[tuple[Any, list[Any]]] = []
    try:
        with driver.pipeline():
            for entry in pending:
                _send(cursor, entry, queries)
            if commit:
                # as a statement: the driver's commit() would wait for the writes first
                # (a sync of its own), a round trip more
                cursor.execute("COMMIT")
        _fetch(queries)
    except connection.dialect.loaded_dbapi.Error as error:
        first = pending[0]
        wrapped = _wrapped(connection, first.statement, first.parameters, error)
        raise _translated(pending, error) or wrapped from wrapped
    finally:
        cursor.close()
        _close(queries)


def _announce(connection: Connection, pending: list[_Pending]) -> None:
    """Tell SQLAlchemy's ``before_cursor_execute`` listeners of the deferred writes about
    to be sent (as :func:`_driver_cursor` tells them of a statement; no cursor yet)."""
    listeners = connection.dispatch.before_cursor_execute
    if listeners:
        for entry in pending:
            listeners(connection, None, entry.statement, entry.parameters, None, entry.many)


def _send(cursor: Any, entry: _Pending, queries: list[tuple[Any, list[Any]]]) -> None:
    """Send a deferred entry in the open pipeline; a query on a cursor of its own (a
    cursor keeps only its last statement's rows), added to ``queries``."""
    if entry.rows is not None:
        query = cursor.connection.cursor()
        queries.append((query, entry.rows))
        query.execute(entry.statement, entry.parameters)
    elif entry.many:
        cursor.executemany(entry.statement, entry.parameters)
    else:
        cursor.execute(entry.statement, entry.parameters)


def _fetch(queries: list[tuple[Any, list[Any]]]) -> None:
    """The rows of the deferred queries just sent, into their lists."""
    for query, rows in queries:
        rows.extend(query.fetchall())


def _close(queries: list[tuple[Any, list[Any]]]) -> None:
    for query, _ in queries:
        query.close()


def _translated(pending: list[_Pending], error: Exception) -> Exception | None:
    for entry in pending:
        if entry.translate is not None:
            translated = entry.translate(error)
            if translated is not None:
                return translated
    return None


def _flush_before_statement(
    connection: Connection,
    _cursor: Any,
    _statement: str,
    _parameters: Any,
    _context: Any,
    _executemany: bool,
) -> None:
    """SQLAlchemy's ``before_cursor_execute``: a statement run through SQLAlchemy sees
    the deferred writes before it (they are sent first)."""
    if connection.info.get(_PENDING):
        flush_pending(connection)


def _postgresql_on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """The pool's check of a PostgreSQL connection it hands out, without a round trip
    (``pool_pre_ping`` sent a query, a round trip of its own in every command): a
    connection the server has ended (a restart, ``pg_terminate_backend``, an idle
    timeout) has its end, or the server's last message, waiting on its socket, which is
    otherwise quiet between transactions. Such a connection is discarded and the pool
    connects afresh (``DisconnectionError``)."""
    if dbapi_connection.closed:
        raise DisconnectionError("the connection was closed")
    if _readable(dbapi_connection.fileno()):
        raise DisconnectionError("the server ended the connection (or spoke unasked)")


def _readable(descriptor: int) -> bool:
    """Whether a socket has something to read, without waiting."""
    if hasattr(select, "poll"):  # any descriptor (select() only those below 1024)
        poller = select.poll()
        poller.register(descriptor, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([descriptor], [], [], 0)
    return bool(readable)


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
