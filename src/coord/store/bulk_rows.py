"""Writing many read-model rows into a table through the driver's own cursor, for a
rebuild's fresh table: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

Each value goes through the bind processor SQLAlchemy applies to its column (the ``at``
instant's UTC storage form, the payload's JSON), so the rows stored are those an
``insert()`` of :func:`coord.store.readmodels._values` stores; only SQLAlchemy's work per
row (a dict per row, its parameter processing, its statement batching) is left out. On
SQLite a row's absent figure columns are left out of its ``INSERT`` (NULL all the same):
binding a parameter costs about as much as the rest of the row's insert.

Rows given as :class:`PreparedRows` (a rebuild's) are made directly as their parameters
(each payload already the JSON text the engine's serializer writes), so no dict is made
per row here either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from itertools import chain, islice
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson
from sqlalchemy import Connection, Dialect, Table

# the serializer coord's engines write JSON columns with: a payload's text made by it is
# the text an insert of its dict stores
from coord.store.engine import _json_dumps, defer, flush_pending
from coord.store.schema import FIGURE_NAMES

if TYPE_CHECKING:
    from coord.store.readmodels import ModelRow

#: the columns every row has values for, in this order, before its figure columns
KEY_COLUMNS = ("kind", "owner", "seq", "at", "ref", "payload")
#: the columns of a row's key (the table's primary key)
_KEY_NAMES = frozenset(("kind", "owner", "seq"))
#: rows per ``executemany``
BATCH = 5000
#: PostgreSQL: prepared rows at or above which they go by ``COPY`` (below, one
#: ``executemany`` of ``INSERT``s: a ``COPY`` costs a round trip more)
COPY_FROM = 20

Processor = Callable[[Any], Any]
#: the figure columns a row has values for, in the order of its values
FigureNames = tuple[str, ...]
#: a row as written: its figure columns' names, and its values (kind, owner, seq, ``at``
#: as the driver is given it, ref, the payload's JSON text as ``orjson.dumps`` writes it,
#: then the figures' values in that order)
RowParameters = tuple[FigureNames, tuple[Any, ...]]
#: how a row's ``at`` instant is given to the driver
StoredAt = Callable[[datetime | None], Any]


class PreparedRows:
    """Rows, and how to make them directly as their parameters for :func:`write_rows`
    (given how to store each ``at``, the dialect's): the same rows, made without an
    object or dict per row."""

    __slots__ = ("_rows", "parameters")

    def __init__(
        self,
        rows: Callable[[], Iterator[ModelRow]],
        parameters: Callable[[StoredAt], Iterator[RowParameters]],
    ) -> None:
        self._rows = rows
        self.parameters = parameters

    def __iter__(self) -> Iterator[ModelRow]:
        return self._rows()


def write_rows(
    connection: Connection, table: Table, rows: Iterable[ModelRow], *, in_place: bool = False
) -> int:
    """Insert ``rows`` into ``table`` (of the read models' shape) in the connection's
    transaction; returns how many. ``in_place`` (SQLite, prepared rows): a row whose key
    is taken replaces that row's values where it is (see :func:`_prepared_plan`)."""
    processors = _processors(connection, table)
    postgresql = connection.dialect.name == "postgresql"
    if isinstance(rows, PreparedRows):
        if postgresql:
            return _copy_prepared(connection, table, rows, processors)
        return _execute_prepared(connection, table, rows, processors, in_place)
    if postgresql:
        flush_pending(connection)  # COPY is not pipelined: the writes before it go first
        return _copy(connection, table, rows, processors)
    return _execute_many(connection, table, rows, processors)


#: the least memory a rebuild's index builds may sort in on PostgreSQL (its default
#: ``maintenance_work_mem``, 64 MB, sorts a million events' rows on disk: both read-model
#: indexes took 1.7-2.0 s at 913k events, 1.3 s sorted in memory)
INDEX_SORT_MEMORY = "256MB"


def sort_indexes_in_memory(connection: Connection) -> None:
    """On PostgreSQL, let the index builds of the connection's transaction sort in
    :data:`INDEX_SORT_MEMORY` when the server's setting allows less (until the
    transaction ends: ``set_config(..., is_local => true)``, as ``SET LOCAL``)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(
            "SELECT set_config('maintenance_work_mem', %(memory)s, true)"
            " WHERE pg_size_bytes(current_setting('maintenance_work_mem'))"
            " < pg_size_bytes(%(memory)s)",
            {"memory": INDEX_SORT_MEMORY},
        )


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
    return _dialect_processors(connection.dialect, table)


@lru_cache(maxsize=16)
def _dialect_processors(dialect: Dialect, table: Table) -> dict[str, Processor]:
    """:func:`_processors`, kept per dialect and table (a command writes a few rows: finding
    the processors of every column cost more than writing them)."""
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

    plans: dict[tuple[str, ...], tuple[str, list[tuple[str, Processor | None]] | None]] = {}
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
                    planned = plans.get(names)
                    if planned is None:
                        planned = plans[names] = plan(names)
                    statement, taken = planned
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


def _reserialized(dialect: Dialect) -> Processor | None:
    """How to turn a prepared payload's text into the text the engine's own serializer
    writes (None: it is that text already, the serializer being coord's)."""
    serializer = getattr(dialect, "_json_serializer", None)
    if serializer is None or serializer is _json_dumps:
        return None
    return lambda text: serializer(orjson.loads(text))


#: two-digit text of the numbers 0 to 99, by number
_TWO_DIGITS = tuple(f"{number:02d}" for number in range(100))


def _sqlite_at(at: Processor) -> StoredAt:
    def stored(instant: datetime | None) -> Any:
        if instant.__class__ is datetime and instant.tzinfo is UTC and instant.year >= 1000:
            # the text SQLAlchemy stores for an instant on SQLite, YYYY-MM-DD
            # HH:MM:SS.ffffff in UTC, from its fields' two-digit texts looked up rather
            # than formatted (callgrind: 5.1k instructions an instant against 10.7k with
            # "%04d-%02d-%02d ..." % its fields)
            two, micro = _TWO_DIGITS, instant.microsecond
            return (
                f"{instant.year}-{two[instant.month]}-{two[instant.day]} {two[instant.hour]}"
                f":{two[instant.minute]}:{two[instant.second]}"
                f".{f'{micro:06d}' if micro else '000000'}"
            )
        return at(instant)

    return stored


def _execute_prepared(
    connection: Connection,
    table: Table,
    rows: PreparedRows,
    processors: dict[str, Processor],
    in_place: bool = False,
) -> int:
    """:func:`_execute_many` of prepared rows: their values are the statement's
    parameters as they are (converted only where a figure column has a bind processor,
    or the engine serializes JSON otherwise)."""
    dialect = connection.dialect
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    count = 0
    shape: FigureNames | None = None
    plan = _Plan("", None, None)
    convert = plan.convert  # read once a plan, not twice a row
    batch: list[tuple[Any, ...]] = []
    try:
        for names, values in rows.parameters(_sqlite_at(processors.get("at", _identity))):
            if names is not shape:
                if names != shape:
                    if batch:
                        count += _insert_batch(cursor, plan, batch)
                        batch = []
                    plan = _prepared_plan(dialect, table, names, in_place)
                    convert = plan.convert
                shape = names
            if len(batch) >= BATCH:
                count += _insert_batch(cursor, plan, batch)
                batch = []
            batch.append(values if convert is None else convert(values))
        if batch:
            count += _insert_batch(cursor, plan, batch)
    finally:
        cursor.close()
    return count


#: rows of one shape per ``INSERT`` of a fresh table on SQLite: each statement's run opens
#: the table's and its three indexes' cursors again and releases the GIL around SQLite's
#: work, once per row with a row to a statement
ROWS_PER_INSERT = 20


def _insert_batch(cursor: Any, plan: _Plan, batch: list[tuple[Any, ...]]) -> int:
    """Insert ``batch`` (rows of ``plan``'s shape), :data:`ROWS_PER_INSERT` rows to a
    statement when the plan has one for as many (the rest one by one); returns how
    many."""
    whole = len(batch) - len(batch) % ROWS_PER_INSERT if plan.many is not None else 0
    if whole:
        flat = chain.from_iterable
        cursor.executemany(
            plan.many,
            [tuple(flat(batch[i : i + ROWS_PER_INSERT])) for i in range(0, whole, ROWS_PER_INSERT)],
        )
    if whole < len(batch):
        cursor.executemany(plan.one, batch[whole:])
    return len(batch)


Convert = Callable[[tuple[Any, ...]], tuple[Any, ...]]


class _Plan(NamedTuple):
    """How :func:`_execute_prepared` writes rows of one shape."""

    #: the statement of one row
    one: str
    #: the statement of :data:`ROWS_PER_INSERT` rows (None: rows go one to a statement)
    many: str | None
    #: how to convert a row's values (None: as they are)
    convert: Convert | None


@lru_cache(maxsize=64)
def _prepared_plan(
    dialect: Dialect, table: Table, names: FigureNames, in_place: bool = False
) -> _Plan:
    """The statements of :func:`_execute_prepared` for rows with these figures, and how
    to convert their values; kept per dialect, table and figures (a command writes a few
    rows: planning them cost about as much as writing them).

    The statement of many rows is an ``INSERT OR FAIL``: a failing row still fails it
    (and the unit of work, rolled back), but leaves the rows before it in place instead
    of undoing them, so SQLite keeps no statement journal for it. An ``INSERT`` of many
    rows that may abort first copies every page it changes that was there before it into
    that journal, a temporary file past 64 KiB: a rebuild's rows, whose keys and indexes
    land on pages all over the table, copied 254 MB (102k events) and 3.3 GB (913k) into
    it, 5.3 and 6.9 KB a row (``/proc/self/io``'s wchar; 27 November 2026). Without it,
    writing the rows took 0.81 s of CPU instead of 1.00 s at 102k events, and 11.4 s
    instead of 15.8 s at 913k."""
    quote = dialect.identifier_preparer.quote
    reserialize = _reserialized(dialect)
    processors = _dialect_processors(dialect, table)
    head = len(KEY_COLUMNS)
    kept = [(i, name) for i, name in enumerate(names) if name in FIGURE_NAMES]
    columns = ", ".join(quote(c) for c in (*KEY_COLUMNS, *(n for _, n in kept)))
    into = f"INTO {quote(table.name)} ({columns}) VALUES"
    marks = f"({', '.join('?' * (head + len(kept)))})"
    one = f"INSERT {into} {marks}"
    many: str | None = f"INSERT OR FAIL {into} {', '.join([marks] * ROWS_PER_INSERT)}"
    if in_place:
        # SQLite: a row whose key is taken is updated where it is (a delete and an insert
        # would move it to the table's end and rewrite its key's index entry too: about
        # one written page in 14 of a command). A row's kind, part of its key, fixes its
        # figure columns: those set here are all the row has. One row a statement, each
        # its own upsert.
        key = ", ".join(quote(c.name) for c in table.primary_key.columns)
        assert {c.name for c in table.primary_key.columns} == _KEY_NAMES
        values = [c for c in (*KEY_COLUMNS, *(n for _, n in kept)) if c not in _KEY_NAMES]
        sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in values)
        one += f" ON CONFLICT ({key}) DO UPDATE SET {sets}"
        many = None
    taken = [(head + i, processors.get(name)) for i, name in kept]
    if reserialize is None and len(kept) == len(names) and all(p is None for _, p in taken):
        return _Plan(one, many, None)

    def convert(values: tuple[Any, ...]) -> tuple[Any, ...]:
        payload = values[5] if reserialize is None else reserialize(values[5])
        figures = (values[i] if p is None else p(values[i]) for i, p in taken)
        return (*values[:5], payload, *figures)

    return _Plan(one, many, convert)


def _copy_prepared(
    connection: Connection, table: Table, rows: PreparedRows, processors: dict[str, Processor]
) -> int:
    """:func:`_copy` of prepared rows: each row's figures placed in the table's figure
    columns (NULL where it has none), by one ``itemgetter`` per shape of row; converted
    only where a figure column has a bind processor, or the engine serializes JSON
    otherwise."""
    quote = connection.dialect.identifier_preparer.quote
    reserialize = _reserialized(connection.dialect)
    figure_processors = [processors.get(name, _identity) for name in FIGURE_NAMES]
    plain = reserialize is None and all(p is _identity for p in figure_processors)
    head = len(KEY_COLUMNS)

    def arrange(names: FigureNames) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
        """The table's row from a row's values with a NULL after them (an absent figure's)."""
        index = {name: head + i for i, name in enumerate(names)}
        null = head + len(names)
        return itemgetter(*range(head), *(index.get(name, null) for name in FIGURE_NAMES))

    def convert(row: tuple[Any, ...]) -> tuple[Any, ...]:
        payload = row[5] if reserialize is None else reserialize(row[5])
        figures = (p(v) for p, v in zip(figure_processors, row[head:], strict=True))
        return (*row[:5], payload, *figures)

    arrangements: dict[FigureNames, Callable[[tuple[Any, ...]], tuple[Any, ...]]] = {}

    def table_rows(items: Iterable[RowParameters]) -> Iterator[tuple[Any, ...]]:
        for names, values in items:
            arranged = arrangements.get(names)
            if arranged is None:
                arranged = arrangements[names] = arrange(names)
            row = arranged((*values, None))
            yield row if plain else convert(row)

    columns = ", ".join(quote(c) for c in (*KEY_COLUMNS, *FIGURE_NAMES))
    count = 0
    driver = connection.connection.driver_connection
    parameters = rows.parameters(processors.get("at", _identity))
    first = list(islice(parameters, COPY_FROM))
    if len(first) < COPY_FROM:  # a command's few rows: an INSERT is a round trip fewer
        few = list(table_rows(first))
        if few:
            # sent with the next statement or the unit of work's COMMIT
            marks = ", ".join(["%s"] * len(few[0]))
            statement = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})"
            defer(connection, statement, few, many=True)
        return len(few)
    flush_pending(connection)  # COPY is not pipelined: the writes before it go first
    with (
        driver.cursor() as cursor,  # type: ignore[union-attr]
        cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy,
    ):
        for row in table_rows(chain(first, parameters)):
            copy.write_row(row)
            count += 1
    return count
