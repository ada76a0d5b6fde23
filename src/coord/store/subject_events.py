"""Reading the events of some streams as a fold reads them, for the projector's subjects:
through the driver's own cursor, without building an :class:`Event` for each (as a
rebuild reads the whole log, :func:`coord.store.rows.fold_pages`): ``data`` as stored,
validated when it was appended; only an event of an older schema version is decoded, so
that it is upcast exactly as when it is read whole."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime
from operator import methodcaller
from typing import Any

from orjson import loads
from sqlalchemy import Connection

from coord.events import Event
from coord.events.registry import DEFAULT_REGISTRY, Registry
from coord.store.rows import decoded_events

#: one event of a stream: (position, event_id, type, occurred_at, data, stream), where
#: ``data`` is the stored JSON of the type's latest schema version, or, for an event of an
#: older version, the decoded :class:`Event` (upcast to the latest)
StreamRow = tuple[int, str, str, datetime, dict[str, Any] | Event, str]

# a UTCDateTime column's text on SQLite is YYYY-MM-DD HH:MM:SS.ffffff in UTC
_OF_STREAMS = (
    "SELECT position, event_id, type, schema_version, occurred_at || '+00:00', data, stream"
    " FROM events WHERE stream IN ({})"
)
# one index lookup per stream (as the store reads a stream's events)
_PG_OF_STREAMS = (
    "SELECT e.position, e.event_id, e.type, e.schema_version, e.occurred_at, e.data::text,"
    " e.stream FROM unnest(%s::text[]) AS wanted(stream) CROSS JOIN LATERAL"
    " (SELECT * FROM events WHERE events.stream = wanted.stream{} OFFSET 0) AS e"
)
_PG_OF_TYPES = " AND events.type = ANY(%s::text[])"
#: streams (or positions) per query
_IN_BATCH = 500


def stored_events_of_streams(
    connection: Connection,
    streams: Iterable[str],
    types: Collection[str] | None = None,
    registry: Registry = DEFAULT_REGISTRY,
) -> list[StreamRow]:
    """Every event of these streams (only of these ``types``, when given), in global
    order."""
    wanted = list(dict.fromkeys(streams))
    if not wanted:
        return []
    postgresql = connection.dialect.name == "postgresql"
    driver = connection.connection.driver_connection
    typed = sorted(types) if types is not None else None
    rows: list[tuple[Any, ...]] = []
    cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(wanted), _IN_BATCH):
            chunk = wanted[start : start + _IN_BATCH]
            if postgresql:
                query = _PG_OF_STREAMS.format(_PG_OF_TYPES if typed is not None else "")
                cursor.execute(query, (chunk,) if typed is None else (chunk, typed))
            else:
                query = _OF_STREAMS.format(", ".join("?" * len(chunk)))
                if typed is not None:
                    query += f" AND type IN ({', '.join('?' * len(typed))})"
                cursor.execute(query, chunk if typed is None else [*chunk, *typed])
            rows.extend(cursor.fetchall())
    finally:
        cursor.close()
    instant: Callable[[Any], datetime] = (
        methodcaller("astimezone", UTC) if postgresql else datetime.fromisoformat
    )
    latest = registry.latest_version
    found: list[StreamRow] = []
    older: list[int] = []  # indexes in found of events of an older version
    for position, event_id, type_name, version, occurred, data, stream in rows:
        if version == latest(type_name):
            found.append((position, event_id, type_name, instant(occurred), loads(data), stream))
        else:  # decoded below
            older.append(len(found))
            found.append((position, event_id, type_name, instant(occurred), {}, stream))
    if older:
        decoded = decoded_events(connection, [found[i][0] for i in older], registry)
        for i in older:
            position, event_id, type_name, _, _, stream = found[i]
            event = decoded[position]
            found[i] = (position, event_id, type_name, event.occurred_at, event, stream)
    found.sort(key=lambda row: row[0])
    return found
