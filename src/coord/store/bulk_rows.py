"""Writing many read-model rows into a table through the driver's own cursor, for a
rebuild's fresh table: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

Each value goes through the bind processor SQLAlchemy applies to its column (the ``at``
instant's UTC storage form, the payload's JSON), so the rows stored are those an
``insert()`` of :func:`coord.store.readmodels._values` stores; only SQLAlchemy's work per
row (a dict per row, its parameter processing, its statement batching) is left out. On
SQLite a row's absent figure columns are left out of its ``INSERT`` (NULL all the same):
binding a parameter costs about as much as the rest of the row's insert.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table

from coord.store.schema import FIGURE_NAMES

if TYPE_CHECKING:
    from coord.store.readmodels import ModelRow

#: the columns every row has values for, in this order, before its figure columns
KEY_COLUMNS = ("kind", "owner", "seq", "at", "ref", "payload")
#: rows per ``executemany``
BATCH = 5000

Processor = Callable[[Any], Any]


def write_rows(connection: Connection, table: Table, rows: Iterable[ModelRow]) -> int:
    """Insert ``rows`` into ``table`` (of the read models' shape) in the connection's
    transaction; returns how many."""
    processors = _processors(connection, table)
    if connection.dialect.name == "postgresql":
        return _copy(connection, table, rows, processors)
    return _execute_many(connection, table, rows, processors)


def drop_derived(connection: Connection, table: Table) -> None:
    """Drop a table of rows derived from the log. On SQLite, without overwriting its
    pages with zeros as they are freed (``secure_delete``, which some builds turn on): the
    log keeps every value the rows hold, and zeroing the pages takes as long as writing
    them again."""
    if connection.dialect.name != "sqlite":
        table.drop(connection)
        return
    setting = connection.exec_driver_sql("PRAGMA secure_delete").scalar()
    connection.exec_driver_sql("PRAGMA secure_delete = OFF")
    try:
        table.drop(connection)
    finally:  # as it was: 0 off, 1 on, 2 fast
        restored = {0: "OFF", 1: "ON", 2: "FAST"}.get(int(setting or 0), "ON")
        connection.exec_driver_sql(f"PRAGMA secure_delete = {restored}")


def _processors(connection: Connection, table: Table) -> dict[str, Processor]:
    """The bind processor of each column that has one (on this dialect)."""
    dialect = connection.dialect
    found: dict[str, Processor] = {}
    for column in table.columns:
        processor = column.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            found[column.name] = processor
    return found


def _identity(value: Any) -> Any:
    return value


def _execute_many(
    connection: Connection,
    table: Table,
    rows: Iterable[ModelRow],
    processors: dict[str, Processor],
) -> int:
    quote = connection.dialect.identifier_preparer.quote
    at = processors.get("at", _identity)
    # SQLAlchemy's JSON type hands a dict to the engine's serializer (on SQLite, its text
    # is what is stored): call it directly
    payload = getattr(connection.dialect, "_json_serializer", None) or processors["payload"]

    def plan(names: tuple[str, ...]) -> tuple[str, list[tuple[str, Processor | None]] | None]:
        """The statement for rows with these figures, and how to take their values
        (None: the figures' values as they are, in their order)."""
        written = [name for name in names if name in FIGURE_NAMES]
        columns = ", ".join(quote(c) for c in (*KEY_COLUMNS, *written))
        marks = ", ".join("?" * (len(KEY_COLUMNS) + len(written)))
        statement = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})"
        taken = [(name, processors.get(name)) for name in written]
        as_they_are = len(written) == len(names) and all(p is None for _, p in taken)
        return statement, None if as_they_are else taken

    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    count = 0
    shape: tuple[str, ...] | None = None
    statement, taken = "", None
    batch: list[tuple[Any, ...]] = []
    try:
        for row in rows:
            figures = row.figures
            names = tuple(figures)
            if names != shape or len(batch) >= BATCH:
                if batch:
                    cursor.executemany(statement, batch)
                    count += len(batch)
                    batch = []
                if names != shape:
                    shape = names
                    statement, taken = plan(names)
            instant = row.at
            if instant.__class__ is datetime and instant.tzinfo is UTC:
                # the text SQLAlchemy stores for an instant on SQLite: YYYY-MM-DD
                # HH:MM:SS.ffffff in UTC, which isoformat writes with +00:00 after it
                stored = instant.isoformat(" ", "microseconds")[:-6]
            else:
                stored = at(instant)
            if taken is None:
                figure_values: Iterable[Any] = figures.values()
            else:
                figure_values = [figures[n] if p is None else p(figures[n]) for n, p in taken]
            batch.append(
                (
                    row.kind,
                    row.owner,
                    row.seq,
                    stored,
                    row.ref,
                    payload(row.payload),
                    *figure_values,
                )
            )
        if batch:
            cursor.executemany(statement, batch)
            count += len(batch)
    finally:
        cursor.close()
    return count


def _copy(
    connection: Connection,
    table: Table,
    rows: Iterable[ModelRow],
    processors: dict[str, Processor],
) -> int:
    quote = connection.dialect.identifier_preparer.quote
    at = processors.get("at", _identity)
    payload = processors.get("payload", _identity)
    figure_processors = [processors.get(name, _identity) for name in FIGURE_NAMES]
    as_they_are = all(p is _identity for p in figure_processors)
    columns = ", ".join(quote(c) for c in (*KEY_COLUMNS, *FIGURE_NAMES))
    count = 0
    driver = connection.connection.driver_connection
    with (
        driver.cursor() as cursor,  # type: ignore[union-attr]
        cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            get = row.figures.get
            figures = (
                map(get, FIGURE_NAMES)
                if as_they_are
                else (p(get(n)) for n, p in zip(FIGURE_NAMES, figure_processors, strict=True))
            )
            copy.write_row(
                (row.kind, row.owner, row.seq, at(row.at), row.ref, payload(row.payload), *figures)
            )
            count += 1
    return count
