"""Reading and writing the read models' rows (the projections decide what they hold).

Every change to a subject replaces exactly the rows it owns; a rebuild fills a fresh
table and swaps it in (on SQLite: drops the table and fills it again, indexed), in one
transaction, so a failed rebuild leaves the old rows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, insert, select, text

from coord.store.bulk_rows import drop_derived, write_rows
from coord.store.engine import defer, driver_execute, driver_rows
from coord.store.schema import (
    FIGURE_NAMES,
    READ_MODEL_INDEXES,
    TIME_ZONE_KEY,
    projection_checkpoints,
    read_models,
    read_models_table,
)

_IN_BATCH = 500
#: the name of the read models' checkpoint
CHECKPOINT = "read_models"
#: the network's time zone when none is stored (as ``coord init`` stores by default)
DEFAULT_TIME_ZONE = "Europe/London"


@dataclass(frozen=True, slots=True)
class ModelRow:
    kind: str
    owner: str
    seq: int
    at: datetime | None
    ref: str | None
    payload: dict[str, Any]
    #: the row's figure columns (:data:`coord.store.schema.FIGURE_COLUMNS`); absent: NULL
    figures: dict[str, Any] = field(default_factory=dict)


def payload_text(name: str) -> ColumnElement[Any]:
    """A payload member of the read models' rows as text (SQL NULL when absent or null),
    for filtering and ordering in SQL."""
    value: ColumnElement[Any] = read_models.c.payload[name].as_string()
    return value


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _values(rows: Iterable[ModelRow]) -> list[dict[str, Any]]:
    return [
        {
            "kind": r.kind,
            "owner": r.owner,
            "seq": r.seq,
            "at": r.at,
            "ref": r.ref,
            "payload": r.payload,
            **{name: r.figures.get(name) for name in FIGURE_NAMES},
        }
        for r in rows
    ]


def refs_of_owners(
    connection: Connection, kind: str, owners: Collection[str]
) -> dict[str, str | None]:
    """The ``ref`` of each owner's row of ``kind`` (e.g. the case of a transfer)."""
    found: dict[str, str | None] = {}
    for chunk in _chunks(list(owners), _IN_BATCH):
        rows = connection.execute(
            select(read_models.c.owner, read_models.c.ref).where(
                read_models.c.kind == kind, read_models.c.owner.in_(chunk)
            )
        )
        found.update((row.owner, row.ref) for row in rows)
    return found


def payloads_between(
    connection: Connection, kind: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Payloads of ``kind`` whose ``at`` is in [start, end)."""
    rows = connection.execute(
        select(read_models.c.payload)
        .where(read_models.c.kind == kind, read_models.c.at >= start, read_models.c.at < end)
        .order_by(read_models.c.owner, read_models.c.seq)
    )
    return [row.payload for row in rows]


def payloads_by_ref(
    connection: Connection, kind: str, refs: Collection[str]
) -> list[dict[str, Any]]:
    """Payloads of ``kind`` whose ``ref`` is one of ``refs``."""
    return _payloads_where(connection, kind, read_models.c.ref, refs)


def payloads_by_owner(
    connection: Connection, kind: str, owners: Collection[str]
) -> list[dict[str, Any]]:
    """Payloads of ``kind`` owned by one of ``owners``."""
    return _payloads_where(connection, kind, read_models.c.owner, owners)


def _payloads_where(
    connection: Connection, kind: str, column: Any, values: Collection[str]
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for chunk in _chunks(sorted(values), _IN_BATCH):
        rows = connection.execute(
            select(read_models.c.payload)
            .where(read_models.c.kind == kind, column.in_(chunk))
            .order_by(read_models.c.owner, read_models.c.seq)
        )
        found.extend(row.payload for row in rows)
    return found


#: reading the network's time zone, in the driver's parameter style (see :func:`_marked`):
#: a projection that writes rows reads it in its append transaction
_READ_TIME_ZONE = 'SELECT value FROM settings WHERE "key" = {0}'
_CHECKPOINT = select(projection_checkpoints.c.position).where(
    projection_checkpoints.c.name == CHECKPOINT
)
#: moving the checkpoint, in the driver's parameter style (see :func:`_marked`): it runs
#: in every append transaction
_MOVE_CHECKPOINT = "UPDATE projection_checkpoints SET position = {0} WHERE name = {0}"


def network_time_zone(connection: Connection) -> ZoneInfo:
    """The network's time zone stored with the database, in which the read models' day
    counts are taken (as read with the unit of work's lock, when it was:
    :func:`time_zone_read`)."""
    rows = connection.info.get(_TIME_ZONE_READ)
    if rows is None:
        rows = driver_rows(connection, _marked(connection, _READ_TIME_ZONE), (TIME_ZONE_KEY,))
    return ZoneInfo(rows[0][0] if rows and rows[0][0] else DEFAULT_TIME_ZONE)


#: ``Connection.info`` key: the rows of the time zone's query, read in this unit of work
_TIME_ZONE_READ = "coord_time_zone_read"


def time_zone_read(connection: Connection) -> tuple[str, tuple[str]]:
    """The query of the network's time zone (statement, parameters) for a writing unit of
    work to send with its lock (on PostgreSQL: in the same round trip) and give to
    :func:`keep_time_zone_read`: a projection writing rows reads it in every append
    transaction. ``coord init`` changes it only holding the same lock."""
    return _marked(connection, _READ_TIME_ZONE), (TIME_ZONE_KEY,)


def keep_time_zone_read(connection: Connection, rows: list[Any] | None) -> None:
    """What :func:`network_time_zone` answers until the unit of work ends (None: forget
    it when it ends)."""
    if rows is None:
        connection.info.pop(_TIME_ZONE_READ, None)
    else:
        connection.info[_TIME_ZONE_READ] = rows


def checkpoint(connection: Connection) -> int:
    """The global position the read models include (0 before the first event)."""
    value = connection.execute(_CHECKPOINT).scalar()
    return int(value or 0)


def set_checkpoint(connection: Connection, position: int) -> None:
    updated = driver_execute(
        connection, _marked(connection, _MOVE_CHECKPOINT), (position, CHECKPOINT)
    )
    if updated == 0:
        connection.execute(
            insert(projection_checkpoints).values(name=CHECKPOINT, position=position)
        )


def swap_in(connection: Connection, rows: Iterable[ModelRow], position: int) -> int:
    """Fill a fresh table with ``rows`` and swap it in for the read models; returns the
    number of rows. Call inside the writer's transaction: a failure leaves the old ones.

    On SQLite the old table is dropped first and the fresh one made with its indexes
    before the rows go in (:func:`_refill`); on PostgreSQL the fresh table is filled
    beside the old one, then indexed and renamed."""
    if connection.dialect.name == "sqlite":
        return _refill(connection, rows, position)
    postgresql = connection.dialect.name == "postgresql"
    # PostgreSQL names constraints schema-wide (renamed after the swap); SQLite per table
    fresh = read_models_table(
        "read_models_next", "pk_read_models_next" if postgresql else "pk_read_models"
    )
    fresh.drop(connection, checkfirst=True)
    fresh.create(connection)
    # through the driver (executemany / COPY): the rows an insert() of _values(rows) makes
    count = write_rows(connection, fresh, rows)
    drop_derived(connection, read_models)
    connection.execute(text("ALTER TABLE read_models_next RENAME TO read_models"))
    if postgresql:
        connection.execute(
            text("ALTER TABLE read_models RENAME CONSTRAINT pk_read_models_next TO pk_read_models")
        )
    for name, columns in READ_MODEL_INDEXES:
        connection.execute(text(f"CREATE INDEX {name} ON read_models ({', '.join(columns)})"))
    set_checkpoint(connection, position)
    return count


def _refill(connection: Connection, rows: Iterable[ModelRow], position: int) -> int:
    """:func:`swap_in` on SQLite: the old table dropped (its DDL is transactional: a
    failure brings it back), the read models' table made again with its indexes, then
    filled. The rows come grouped by kind, each kind's nearly in ``at`` order, so each
    index takes them where it took the last ones: at 913k events, filling the indexed
    table took 1.8 s of SQLite's work where filling it and then building its two
    covering indexes (a sort of every row, spilled to disk) took 2.2-2.6 s. The price:
    indexes so grown are less packed than built by a sort (at 102k events the covering
    indexes' pages 88-89% full instead of 99%, 10% more of them), and a year's report
    read from them right after a rebuild took 4-12% longer (0.1-0.6 ms)."""
    drop_derived(connection, read_models)
    read_models.create(connection)  # with its indexes (READ_MODEL_INDEXES)
    count = write_rows(connection, read_models, rows)
    set_checkpoint(connection, position)
    return count


def replace_rows(connection: Connection, rows: Iterable[ModelRow], position: int) -> int:
    """Replace every row of the read models with ``rows``, in the table itself (unlike
    :func:`swap_in`: a concurrent reader on PostgreSQL sees the old rows or the new ones
    as of its snapshot, and is never waited for); returns the number of rows. Call
    inside the writer's transaction."""
    connection.execute(read_models.delete())
    count = write_rows(connection, read_models, rows)
    set_checkpoint(connection, position)
    return count


#: a row's delete by its key, in the driver's parameter style (see :func:`_marked`)
_DELETE_ROW = "DELETE FROM read_models WHERE owner = {0} AND kind = {0} AND seq = {0}"


def delete_rows(connection: Connection, keys: Collection[tuple[str, str, int]]) -> None:
    """Delete the rows with these (owner, kind, seq) keys (one ``executemany`` through
    the driver: no statement to compile nor dict per row; on PostgreSQL sent with the
    next statement or the commit, :func:`~coord.store.engine.defer`)."""
    if keys:
        defer(connection, _marked(connection, _DELETE_ROW), list(keys), many=True)


#: moving the checkpoint on from where an append found it, in the driver's parameter style
_ADVANCE_CHECKPOINT = (
    "UPDATE projection_checkpoints SET position = {0} WHERE name = {0} AND position = {0}"
)


def advance_checkpoint(connection: Connection, before: int, position: int) -> bool:
    """Move the checkpoint to ``position`` if it is at ``before`` (the read models hold
    the log up to the event before an append); returns whether it moved. A checkpoint
    elsewhere, or none (``coord init`` removes it when a migration or a new time zone
    makes the rows stale), stays: the read models are behind until rebuilt, and an
    append must not mark them current. One statement, as :func:`set_checkpoint`."""
    marked = _marked(connection, _ADVANCE_CHECKPOINT)
    if driver_execute(connection, marked, (position, CHECKPOINT, before)):
        return True
    if before == 0:  # the log's first events: there was nothing to be behind
        set_checkpoint(connection, position)
        return True
    return False


def _marked(connection: Connection, statement: str) -> str:
    """A statement run through the driver with its parameters' marks (``{0}``) in the
    driver's style: ``?`` (sqlite3) or ``%s`` (psycopg)."""
    return statement.format("?" if connection.dialect.paramstyle == "qmark" else "%s")


def insert_rows(
    connection: Connection, rows: Iterable[ModelRow], *, in_place: bool = False
) -> None:
    """Insert these rows (their keys must be free), through the driver as a rebuild
    writes its fresh table (given as :class:`~coord.store.bulk_rows.PreparedRows`, made
    directly as their parameters). ``in_place`` (SQLite only): a row whose key is taken
    replaces that row's values where it is, instead."""
    write_rows(connection, read_models, rows, in_place=in_place)
