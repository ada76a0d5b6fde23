"""Reading the events of some streams as a fold reads them, for the projector's subjects:
through the driver's own cursor, without building an :class:`Event` for each (as a
rebuild reads the whole log, :func:`coord.store.rows.fold_pages`): ``data`` as stored,
validated when it was appended; only an event of an older schema version is decoded, so
that it is upcast exactly as when it is read whole."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import methodcaller
from typing import Any

from orjson import loads
from sqlalchemy import Connection

from coord.events import Event
from coord.events.registry import DEFAULT_REGISTRY, Registry
from coord.store.engine import defer_query, driver_rows
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
    return _stream_rows(connection, rows, postgresql, registry)


def _stream_rows(
    connection: Connection,
    rows: Iterable[Sequence[Any]],
    postgresql: bool,
    registry: Registry = DEFAULT_REGISTRY,
) -> list[StreamRow]:
    """The driver's rows (position, event_id, type, schema_version, occurred_at, data,
    stream) as :data:`StreamRow`, in global order."""
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


@dataclass
class StoredSubjects:
    """What folding some subjects reads from the store, read in one query
    (:func:`stored_subjects`)."""

    #: the events of each stream read whole (a stream without events: an empty list)
    whole: dict[str, list[StreamRow]] = field(default_factory=dict)
    #: of each case read, the streams of the events referring to it (not retracted)
    referrers: dict[str, list[str]] = field(default_factory=dict)
    #: the protocol (all its events) and the meetings (their MeetingScheduled alone) named
    #: by the cases' listings of the latest schema version
    related: dict[str, list[StreamRow]] = field(default_factory=dict)

    def holds(self, owner: str) -> bool:
        """Whether the subject's own streams were read (a case's: its referrers' too)."""
        return owner in self.whole and (not owner.startswith("case:") or owner in self.referrers)

    def update(self, other: StoredSubjects) -> None:
        self.whole.update(other.whole)
        self.referrers.update(other.referrers)
        self.related.update(other.related)


# PostgreSQL: what folding the subjects of an array of streams reads (see
# stored_subjects), one index lookup per stream or key (LATERAL ... OFFSET 0, as the
# store's own queries); rows: (part, an events row's columns as _PG_OF_STREAMS, key)
_PG_SUBJECTS = """\
WITH wanted AS (SELECT DISTINCT stream FROM unnest(%s::text[]) AS wanted(stream)),
cases AS (
 SELECT stream FROM wanted WHERE stream LIKE 'case:%%'
 UNION SELECT 'case:' || (r.data->>'case_id') FROM wanted CROSS JOIN LATERAL
  (SELECT data FROM events WHERE events.stream = wanted.stream
   AND events.type = 'TransferRequested' OFFSET 0) AS r
 WHERE wanted.stream LIKE 'transfer:%%' AND r.data->>'case_id' IS NOT NULL),
referrers AS MATERIALIZED (
 SELECT cases.stream AS key, r.stream FROM cases LEFT JOIN LATERAL
  (SELECT events.stream FROM event_references
   JOIN events ON events.position = event_references.position
   WHERE event_references.key = cases.stream AND NOT EXISTS (SELECT 1 FROM event_references
   AS retraction WHERE retraction.key = 'event:' || events.event_id) OFFSET 0) AS r ON true),
whole AS (SELECT stream FROM wanted UNION SELECT key FROM referrers
 UNION SELECT stream FROM referrers WHERE stream IS NOT NULL),
found AS MATERIALIZED (
 SELECT e.position, e.event_id, e.type, e.schema_version, e.occurred_at, e.data, e.stream
 FROM whole CROSS JOIN LATERAL (SELECT * FROM events WHERE events.stream = whole.stream
 OFFSET 0) AS e),
related AS (
 SELECT 'protocol:' || (data->>'pathway') AS stream FROM found
 WHERE type = 'CaseListed' AND stream LIKE 'case:%%'
 UNION SELECT 'meeting:' || (data->>'meeting_id') FROM found
 WHERE type IN ('CaseListed', 'CaseRelisted') AND stream LIKE 'case:%%')
SELECT 0, position, event_id, type, schema_version, occurred_at, data::text, stream, NULL
FROM found
UNION ALL SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, stream, key FROM referrers
UNION ALL SELECT 2, e.position, e.event_id, e.type, e.schema_version, e.occurred_at,
 e.data::text, related.stream, NULL FROM related LEFT JOIN LATERAL
 (SELECT * FROM events WHERE events.stream = related.stream
  AND (related.stream LIKE 'protocol:%%' OR events.type = %s) OFFSET 0) AS e ON true
 WHERE related.stream IS NOT NULL"""


def stored_subjects(
    connection: Connection,
    owners: Collection[str],
    meeting_opener: str,
    *,
    later: bool = False,
    registry: Registry = DEFAULT_REGISTRY,
) -> Callable[[], StoredSubjects]:
    """PostgreSQL: in one query, every event of these streams; of each case among them
    and each case a transfer among them was requested for (as its request's data names
    it), the streams of the events referring to it and their events; and of the cases'
    listings, the protocol's events and each meeting's ``meeting_opener``. A command
    that touches a subject this process has not folded (at 913k events, half of them)
    read these in three to five queries, one round trip each; a round trip costs about
    as much as the rest of the command's work on the server.

    The cases of transfers and the listings' meetings and protocols are read from the
    events' data as stored in the latest schema version: what the folds derive
    otherwise (an older version, upcast) is missing here, and read by the caller.

    Sent at once with the writes deferred before it
    (:func:`~coord.store.engine.driver_rows`), so it sees them; ``later``: sent with the
    next statement instead (:func:`~coord.store.engine.defer_query`), in its round trip.
    The function returned gives what was read (once that statement has run, when
    ``later``)."""
    wanted = sorted(set(owners))
    send = defer_query if later else driver_rows
    rows = send(connection, _PG_SUBJECTS, (wanted, meeting_opener)) if wanted else []
    return lambda: _subjects_of(connection, wanted, rows, registry)


def _subjects_of(
    connection: Connection, wanted: list[str], rows: list[Any], registry: Registry
) -> StoredSubjects:
    """The :class:`StoredSubjects` of the rows of :data:`_PG_SUBJECTS` for ``wanted``."""
    stored = StoredSubjects()
    whole: list[tuple[Any, ...]] = []
    related: list[tuple[Any, ...]] = []
    for part, *event, key in rows:
        if part == 0:
            whole.append(event)
        elif part == 1:
            streams = stored.referrers.setdefault(key, [])
            stream = event[-1]
            if stream is not None:
                streams.append(stream)
        else:
            stored.related.setdefault(event[-1], [])
            if event[0] is not None:
                related.append(event)
    for stream in wanted:
        stored.whole[stream] = []
    for case, streams in stored.referrers.items():
        stored.whole.setdefault(case, [])
        for stream in streams:
            stored.whole.setdefault(stream, [])
    for row in _stream_rows(connection, whole, True, registry):
        stored.whole[row[5]].append(row)
    for row in _stream_rows(connection, related, True, registry):
        stored.related[row[5]].append(row)
    return stored
