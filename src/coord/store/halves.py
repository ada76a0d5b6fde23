"""A long period's read-model records read in two halves at once.

A database runs a statement on one core (SQLite always; PostgreSQL 15 too for the
reports' ``GROUP BY``s, whose ``array_agg`` has no partial aggregation). A year's
``GROUP BY`` over the read models (95,165 transfer records in a year at 913k events)
spends most of a report's time in the statement: the range read of the covering index,
the grouping's sort and the aggregates. A period of two local months or more is
therefore split where its middle month starts: the earlier half is read on a second
connection, on a worker thread, while the reading connection reads the later half (the
drivers let go of the GIL while a statement runs), and the caller joins the two parts.
Each half is the same statement over a narrower range of the same index, so the plans
stay those the tests pin.

A report must come from one snapshot of the log. On PostgreSQL the second connection
takes the reading transaction's own (``pg_export_snapshot`` and ``SET TRANSACTION
SNAPSHOT``). On SQLite it begins its own read transaction, and its part is used only
when that transaction sees what the reading connection's does: the same
:func:`snapshot_mark` (the log's head, the read models' checkpoint and the schema's
version: every commit that changes the read models moves one of them, an append the
first two, a rebuild's swapped-in table the third); otherwise, a commit having landed
between the two, the reading connection reads the earlier half itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from coord.store.engine import is_postgresql
from coord.store.readmodels import CHECKPOINT

Part = TypeVar("Part")
#: reads one part: the records whose ``at`` is in [start, end), on the connection given
ReadPart = Callable[[Connection, datetime, datetime], Part]

#: the worker threads that read earlier halves (one a report at a time; two for the
#: terminal UI's screens loading side by side)
_WORKERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="coord-earlier-half")

#: isolation levels whose transactions read one snapshot throughout
_ONE_SNAPSHOT = ("REPEATABLE READ", "SERIALIZABLE")
#: a name pg_export_snapshot gives (``00000003-0000001B-1``)
_SNAPSHOT_NAME = re.compile(r"[0-9A-F]+(-[0-9A-F]+)+")

_MARK = (
    "SELECT (SELECT max(position) FROM events),"
    " (SELECT position FROM projection_checkpoints WHERE name = ?),"
    " (SELECT schema_version FROM pragma_schema_version())"
)


def snapshot_mark(connection: Connection) -> tuple[Any, ...]:
    """What names a SQLite read transaction's snapshot of the read models: the log's
    head position, the read models' checkpoint and the schema's version (a SQLite
    statement)."""
    return tuple(connection.exec_driver_sql(_MARK, (CHECKPOINT,)).one())


def middle_of(month_starts: Sequence[datetime]) -> datetime | None:
    """Where a period of these local months (the UTC instants they start) is split: the
    start of its middle month; None for a single month."""
    if len(month_starts) < 2:
        return None
    return month_starts[len(month_starts) // 2]


def splits(connection: Connection) -> bool:
    """Whether reads on ``connection`` are split in halves: on a SQLite file (a second
    connection to an in-memory database would open another, empty one), and on
    PostgreSQL in a transaction whose snapshot is its whole (``REPEATABLE READ``)."""
    if is_postgresql(connection):
        return connection.get_execution_options().get("isolation_level") in _ONE_SNAPSHOT
    if connection.dialect.name != "sqlite":
        return False
    database = connection.engine.url.database
    return bool(database) and database != ":memory:" and "mode=memory" not in str(database)


def read_in_halves(
    connection: Connection,
    start: datetime,
    end: datetime,
    middle: datetime | None,
    read: ReadPart[Part],
) -> list[Part]:
    """The parts ``read`` gives of [start, end), in the period's order: one part, or
    (``middle`` inside the period, and :func:`splits`) the parts of [start, middle) and
    [middle, end), read at once on two connections of the same snapshot."""
    if middle is None or not start < middle < end or not splits(connection):
        return [read(connection, start, end)]
    snapshot = _exported_snapshot(connection) if is_postgresql(connection) else None
    earlier: Future[tuple[tuple[Any, ...] | None, Part]] = _WORKERS.submit(
        _read_on_second_connection, connection.engine, snapshot, start, middle, read
    )
    later = read(connection, middle, end)
    try:
        their_mark, part = earlier.result()
    except OperationalError:  # no second connection: this one reads the earlier half
        pass
    else:
        if their_mark is None or their_mark == snapshot_mark(connection):
            return [part, later]
    return [read(connection, start, middle), later]


def _exported_snapshot(connection: Connection) -> str:
    """The name under which another PostgreSQL session can take this transaction's
    snapshot (for as long as the transaction lasts)."""
    name = str(connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
    if not _SNAPSHOT_NAME.fullmatch(name):
        raise ValueError(f"unexpected snapshot name {name!r}")
    return name


def _read_on_second_connection(
    engine: Engine, snapshot: str | None, start: datetime, end: datetime, read: ReadPart[Part]
) -> tuple[tuple[Any, ...] | None, Part]:
    """``read`` of [start, end) in a read transaction of a second connection of the
    engine: in the exported PostgreSQL ``snapshot`` (then no mark: the same snapshot), or
    in SQLite's next one, with its :func:`snapshot_mark`."""
    with engine.connect() as second:
        if snapshot is not None:
            second.execution_options(isolation_level="REPEATABLE READ")
        with second.begin():
            if snapshot is not None:
                second.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                return None, read(second, start, end)
            mark = snapshot_mark(second)
            return mark, read(second, start, end)
