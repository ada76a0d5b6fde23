"""The event log: append accepted events in one serialised unit of work, read them back.

Appends are serialised so that commit order equals position order: a writing unit of work
takes ``pg_advisory_xact_lock`` on PostgreSQL (with ``lock_timeout``) and ``BEGIN
IMMEDIATE`` on SQLite before it reads anything. Positions are assigned as head + 1 inside
that lock, so they are gap-free, also after a rollback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    bindparam,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from coord.domain.log import Accepted, LogReader, Referrer, StoredRef
from coord.domain.references import Reads
from coord.domain.streams import StreamView
from coord.events import Event, encode_event
from coord.store.chain import GENESIS_HASH, Head, canonical_bytes, chain_hash
from coord.store.engine import (
    WRITE,
    begin_with,
    commit_with_pending,
    create_engine_for,
    defer,
    driver_execute,
    driver_rows,
    flush_pending,
    is_pending,
    is_postgresql,
    pending_writes,
    sqlite_file,
)
from coord.store.readmodels import keep_time_zone_read, network_time_zone, time_zone_read
from coord.store.rows import StoredEvent, decode_row, iter_rows, stored_event
from coord.store.schema import TIME_ZONE_KEY, event_references, events
from coord.store.wal_checkpoints import WalCheckpointer

__all__ = [
    "ConcurrencyError",
    "DuplicateEventError",
    "EventStore",
    "LogSession",
    "Reader",
    "StoreBusy",
    "StoredEvent",
    "Writer",
]

#: The PostgreSQL advisory lock serialising appends (and schema upgrades).
APPEND_LOCK_KEY = 0x636F6F7264  # "coord"
LOCK_TIMEOUT = "30s"
#: ``SET LOCAL lock_timeout`` (and ``jit``: off, since compiling a plan takes longer than
#: running any query of an append; and ``plan_cache_mode``: generic plans, see below)
#: then ``pg_advisory_xact_lock``: the materialised CTE is evaluated before the lock is
#: asked for.
#:
#: A unit of work's statements are index lookups by keys given as parameters, prepared by
#: psycopg once a connection has run them a few times. PostgreSQL's default plans a
#: prepared statement afresh at each run unless its generic plan looks no costlier, and
#: for the prefetch's and the referrers' queries (lookups over ``unnest`` of an array) it
#: never does: planning them took ~0.2 ms each, a command's largest server-side cost.
#: A generic plan is made once per connection; a command at 102k events on PostgreSQL:
#: mean 2.13 -> 1.71 ms (alternating runs, 300 commands); imports and rebuilds unchanged.
_LOCK_STATEMENT = (
    "WITH settings AS MATERIALIZED (SELECT set_config('lock_timeout', %s, true),"
    " set_config('jit', 'off', true),"
    " set_config('plan_cache_mode', 'force_generic_plan', true))"
    " SELECT pg_advisory_xact_lock(%s) FROM settings"
)
INSERT_BATCH = 1000
#: Events a store keeps decoded, by hash, for its writers' prefetches (the least recently
#: used go beyond this many): a command reads the streams it appends to, which recent
#: commands mostly read already (at 100k events, four in five of its stored events).
#: Equal hashes are the same stored event (position, stream, version and export form
#: are what the hash is taken of), so a kept event is the one its row decodes to.
DECODED_EVENTS = 4096
#: Stream views a store keeps for the rules of its next command (the least recently used
#: go beyond this many): see :class:`KeptViews`. At 102k events, the last 1,000 commands
#: found 72 % of the streams their rules read kept with 1,024 as with 4,096 (68 % with
#: 256); 4,096 random streams held 15.8k events in 32 MB, so this bounds them near 8 MB.
KEPT_STREAMS = 1024
_IN_BATCH = 500

T = TypeVar("T")


class ConcurrencyError(Exception):
    """A stream was appended to by someone else: its version is not the one expected."""

    def __init__(self, stream: str | None, expected: int | None, actual: int | None) -> None:
        self.stream, self.expected, self.actual = stream, expected, actual
        if stream is None:
            message = "a stream was appended to concurrently; load it again and retry"
        else:
            message = f"stream {stream} expected at version {expected} but is at {actual}"
        super().__init__(message)


class DuplicateEventError(Exception):
    """An event id that is already stored (the rules should have found it a duplicate)."""


class StoreBusy(Exception):
    """Another writer held the log for longer than the lock timeout."""


def _forget_least_recent(used: dict[Any, Any], count: int) -> None:
    """Forget the ``count`` least recently used entries of ``used``, a dict whose entries
    are put back last when used (so its first are the least recent). Callers forget a
    quarter of their bound more than they must, so that this is seldom done."""
    for key in list(islice(used, count)):
        del used[key]


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class LogSession:
    """Reads of the log inside one transaction (a :class:`coord.domain.log.LogReader`)."""

    def __init__(self, connection: Connection) -> None:
        self._conn = connection
        self._postgresql = is_postgresql(connection)

    @property
    def connection(self) -> Connection:
        """The connection of this unit of work (projections write through it)."""
        return self._conn

    def stream_events(self, stream: str) -> list[Event]:
        rows = self._conn.execute(
            select(events).where(events.c.stream == stream).order_by(events.c.version)
        )
        return [decode_row(row) for row in rows]

    def retracted_event_ids(self, recorded_by: datetime | None = None) -> set[str]:
        """The ids of every event that a retraction targets (only retractions recorded by
        ``recorded_by``, when given: what the log knew then)."""
        query = select(event_references.c.key).where(event_references.c.key.startswith("event:"))
        if recorded_by is not None:
            query = query.join(events, events.c.position == event_references.c.position).where(
                events.c.recorded_at <= recorded_by
            )
        return {row.key.removeprefix("event:") for row in self._conn.execute(query)}

    def read_recorded_by(self, recorded_by: datetime) -> Iterator[StoredEvent]:
        """The events recorded by ``recorded_by``, in global order, in bounded memory.
        ``recorded_at`` never decreases along the log (SPEC §2), so they are a prefix:
        reading stops at the first event recorded later."""
        for stored in self.read_all():
            recorded = stored.event.recorded_at
            if recorded is not None and recorded > recorded_by:
                return
            yield stored

    def stream_version(self, stream: str) -> int:
        """The stream's current version (0 when it has no events)."""
        value = self._conn.execute(
            select(func.max(events.c.version)).where(events.c.stream == stream)
        ).scalar()
        return int(value or 0)

    def find_event(self, event_id: str) -> StoredRef | None:
        row = self._conn.execute(
            select(events).where(events.c.event_id == event_id.lower())
        ).first()
        return None if row is None else StoredRef(stream=row.stream, event=decode_row(row))

    def referrers(self, key: str) -> list[Referrer]:
        return self.referrers_of_keys([key])[key]

    def referrers_of_keys(self, keys: Iterable[str]) -> dict[str, list[Referrer]]:
        """:meth:`referrers` of several keys in one query per few hundred keys."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, dict[Referrer, None]] = {key: {} for key in wanted}
        for chunk in _chunks(wanted, _IN_BATCH):
            if self._postgresql:
                rows = self._conn.execute(_PG_REFERRERS, {"keys": list(chunk)})
                for r in rows:
                    found[r.key][Referrer(r.event_id, r.stream, r.at)] = None
                continue
            for event_id, stream, at, key in driver_rows(
                self._conn, _SQLITE_REFERRERS, (_json_array(chunk),)
            ):
                found[key][Referrer(event_id, stream, datetime.fromisoformat(at))] = None
        return {key: list(referrers) for key, referrers in found.items()}

    def last_recorded_at(self) -> datetime | None:
        value: datetime | None = self._conn.execute(
            select(events.c.recorded_at).order_by(events.c.position.desc()).limit(1)
        ).scalar()
        return value

    def head(self) -> Head | None:
        row = self._conn.execute(
            select(events.c.position, events.c.hash).order_by(events.c.position.desc()).limit(1)
        ).first()
        return None if row is None else Head(row.position, row.hash)

    def occurred_span(self) -> tuple[datetime, datetime] | None:
        """The earliest and latest ``occurred_at`` in the log (None when it is empty)."""
        row = self._conn.execute(
            select(func.min(events.c.occurred_at), func.max(events.c.occurred_at))
        ).one()
        return None if row[0] is None else (row[0], row[1])

    def count(self) -> int:
        return int(self._conn.execute(select(func.count()).select_from(events)).scalar_one())

    def read_all(self, after_position: int = 0, batch_size: int = 1000) -> Iterator[StoredEvent]:
        """Every event after ``after_position`` in global order, in bounded memory."""
        for row in iter_rows(self._conn, after_position, batch_size):
            yield stored_event(row)


class Reader(LogSession):
    """A read-only view of the log (one snapshot on PostgreSQL: REPEATABLE READ)."""


#: How :meth:`Writer.prefetch`'s query found a row (:data:`_TIME_ZONE`: SQLite only).
_BY_ID, _BY_STREAM, _HEAD, _TIME_ZONE = 0, 1, 2, 3


def _referrers_query() -> Select[Any]:
    """The non-retracted events holding a reference with one of the ``keys``."""
    retraction = event_references.alias("retraction")
    retracted = (
        select(retraction.c.position)
        .where(retraction.c.key == literal("event:") + events.c.event_id)
        .exists()
    )
    return (
        select(events.c.event_id, events.c.stream, event_references.c.at, event_references.c.key)
        .join_from(event_references, events, event_references.c.position == events.c.position)
        .where(event_references.c.key.in_(bindparam("keys", expanding=True)), ~retracted)
        .order_by(event_references.c.position, event_references.c.ordinal)
    )


_REFERRERS = _referrers_query()
#: SQLite: :data:`_REFERRERS` as the driver's own SQL (as the prefetch's queries: the keys
#: one JSON array, ``at`` as ISO text in UTC)
_SQLITE_REFERRERS = (
    "SELECT events.event_id, events.stream, event_references.at || '+00:00',"
    ' event_references."key" FROM event_references'
    " JOIN events ON event_references.position = events.position"
    ' WHERE event_references."key" IN (SELECT value FROM json_each(?))'
    " AND NOT EXISTS (SELECT 1 FROM event_references AS retraction"
    " WHERE retraction.\"key\" = 'event:' || events.event_id)"
    " ORDER BY event_references.position, event_references.ordinal"
)

# PostgreSQL plans an IN list over a table without statistics (as the log is while an
# import fills it, all in one transaction) as a scan of the whole table: these ask for
# one index lookup per wanted id, stream or key instead (a LATERAL subquery per element
# of the array; LIMIT / OFFSET 0 keep the planner from flattening it into a join).
#: the columns of the prefetch's rows after ``found_by`` (as the driver gives them, read by
#: :func:`_event_row`): those of :data:`_SQLITE_COLUMNS`, JSON as text on both databases
_PG_COLUMNS = (
    "position, event_id, stream, version, type, schema_version, occurred_at, recorded_at,"
    " actor::text AS actor, data::text AS data, hash"
)
_PG_BY_ID = (
    "SELECT 0 AS found_by, e.* FROM unnest(CAST(%s AS text[])) AS wanted(id) CROSS JOIN"
    f" LATERAL (SELECT {_PG_COLUMNS} FROM events WHERE events.event_id = wanted.id LIMIT 1)"
    " AS e"
)
_PG_BY_STREAM = (
    "SELECT 1 AS found_by, e.* FROM unnest(CAST(%s AS text[])) AS wanted(stream) CROSS JOIN"
    f" LATERAL (SELECT {_PG_COLUMNS} FROM events WHERE events.stream = wanted.stream OFFSET 0)"
    " AS e"
)
_PG_HEAD = (
    f"SELECT 2 AS found_by, h.* FROM (SELECT {_PG_COLUMNS} FROM events"
    " ORDER BY position DESC LIMIT 1) AS h"
)
#: PostgreSQL: the events with the ids (the first parameter, an array), then those of the
#: streams (the second), each in global order (``found_by``: :data:`_BY_ID`,
#: :data:`_BY_STREAM`); and the same with the head of the log (:data:`_HEAD`), by whether
#: the head is wanted. The driver's own SQL, as SQLite's below: the first of a command's
#: is sent with its ``BEGIN`` and the lock (:meth:`Writer.opening_query`).
_PG_WANTED_QUERIES = {
    False: f"SELECT * FROM ({_PG_BY_ID} UNION ALL {_PG_BY_STREAM}) AS found"
    " ORDER BY found_by, position",
    True: f"SELECT * FROM ({_PG_BY_ID} UNION ALL {_PG_BY_STREAM} UNION ALL {_PG_HEAD}) AS found"
    " ORDER BY found_by, position",
}
#: SQLite: the same queries (no statement to compile, no column types to apply).
#: Timestamps come as ISO text in UTC and JSON as text: :func:`_event_row` makes them
#: what a ``select(events)`` gives.
_SQLITE_COLUMN_LIST = (
    "position", "event_id", "stream", "version", "type", "schema_version",
    "occurred_at || '+00:00' AS occurred_at", "recorded_at || '+00:00' AS recorded_at",
    "actor", "data", "hash",
)  # fmt: skip
_SQLITE_COLUMNS = ", ".join(_SQLITE_COLUMN_LIST)
#: the time zone's row in those columns: its value where an event's id goes (the second)
_SQLITE_TIME_ZONE_COLUMNS = ", ".join(["NULL", "value", *["NULL"] * (len(_SQLITE_COLUMN_LIST) - 2)])


def _sqlite_wanted(ids: str, streams: str, head: bool) -> str:
    """The SQLite query of :meth:`Writer._read_events` whose ids are ``IN (ids)`` and
    streams ``IN (streams)``; when ``head``, the head of the log too, and the network's
    time zone as stored (its value where an event's id goes; no row when none is
    stored): read with the unit of work's first query rather than in a statement of its
    own (as PostgreSQL reads it with the lock), one statement fewer a command."""
    wanted = (
        f"SELECT {_BY_ID} AS found_by, {_SQLITE_COLUMNS} FROM events WHERE event_id IN ({ids})"
        f" UNION ALL SELECT {_BY_STREAM} AS found_by, {_SQLITE_COLUMNS} FROM events"
        f" WHERE stream IN ({streams})"
    )
    if head:
        wanted += (
            f" UNION ALL SELECT * FROM (SELECT {_HEAD}, {_SQLITE_COLUMNS}"
            " FROM events ORDER BY position DESC LIMIT 1)"
            f" UNION ALL SELECT {_TIME_ZONE}, {_SQLITE_TIME_ZONE_COLUMNS} FROM settings"
            f" WHERE \"key\" = '{TIME_ZONE_KEY}'"
        )
    return f"{wanted} ORDER BY found_by, position"


_JSON_ITEMS = "SELECT value FROM json_each(?)"
#: each list of ids or streams given as one JSON array, so that the text is one whatever
#: their number and the driver keeps it prepared; by whether the head is wanted
_SQLITE_WANTED_QUERIES = {
    head: _sqlite_wanted(_JSON_ITEMS, _JSON_ITEMS, head) for head in (False, True)
}
#: at most this many ids and as many streams (a command's few) are given as parameters
#: of their own instead, in a text per count (a few dozen texts, each kept prepared by
#: the driver): SQLite then makes no table of a JSON array to look them up from. A
#: command's prefetch at 102k events, 1,000 commands' reads: 62 -> 54 us of CPU; a command
#: 1.865M -> 1.820M instructions (callgrind, 1,000 commands).
LISTED = 8


@lru_cache(maxsize=2 * (LISTED + 1) ** 2)
def _sqlite_listed(ids: int, streams: int, head: bool) -> str:
    """:func:`_sqlite_wanted` with ``ids`` and ``streams`` parameters of their own."""
    return _sqlite_wanted(", ".join("?" * ids), ", ".join("?" * streams), head)


class _EventRow(NamedTuple):
    """A row of a prefetch query above, its values as ``select(events)`` gives them."""

    found_by: int
    position: int
    event_id: str
    stream: str
    version: int
    type: str
    schema_version: int
    occurred_at: datetime
    recorded_at: datetime
    actor: Any
    data: Any
    hash: str


def _json_array(items: Iterable[str]) -> str:
    return orjson.dumps(list(items)).decode()


def _event_row(row: Sequence[Any], postgresql: bool) -> _EventRow:
    found_by, position, event_id, stream, version, kind, schema, occurred, recorded = row[:9]
    actor, data, digest = row[9:]
    return _EventRow(
        found_by, position, event_id, stream, version, kind, schema,
        _instant_of(occurred, postgresql), _instant_of(recorded, postgresql),
        orjson.loads(actor) if actor is not None else None, orjson.loads(data), digest,
    )  # fmt: skip


def _instant_of(value: Any, postgresql: bool) -> datetime:
    """A prefetch row's instant as ``select(events)`` gives it (an aware UTC datetime):
    PostgreSQL's driver gives it in the session's zone, SQLite's query as ISO text."""
    return value.astimezone(UTC) if postgresql else datetime.fromisoformat(value)


_PG_REFERRERS = text(
    "SELECT r.event_id, r.stream, r.at, r.key FROM unnest(CAST(:keys AS text[])) AS wanted(key)"
    " CROSS JOIN LATERAL (SELECT events.event_id, events.stream, event_references.at,"
    " event_references.key, event_references.position, event_references.ordinal"
    " FROM event_references JOIN events ON events.position = event_references.position"
    " WHERE event_references.key = wanted.key AND NOT EXISTS (SELECT 1 FROM event_references"
    " AS retraction WHERE retraction.key = 'event:' || events.event_id) OFFSET 0) AS r"
    " ORDER BY r.position, r.ordinal"
).columns(events.c.event_id, events.c.stream, event_references.c.at, event_references.c.key)

_PREV_HASH = select(events.c.prev_hash).where(events.c.position == bindparam("position"))


def chain_link(connection: Connection, position: int) -> str | None:
    """The ``prev_hash`` stored with the event at ``position`` (None when there is none):
    the hash of the log up to the event before it."""
    value: str | None = connection.execute(_PREV_HASH, {"position": position}).scalar()
    return value


#: Called inside the append transaction with the records just appended and their
#: positions (the projections keep their read models this way, exactly once).
AppendHook = Callable[["Writer", Sequence[Accepted], list[int]], None]


class KeptViews(NamedTuple):
    """The rules' stream views a store keeps between its units of work, as the log stood
    at ``head`` (position and hash: by the hash chain, the whole log up to there).

    A command reads the streams its rules need (its own, and those it links to), which
    recent commands mostly read already; reading them again and folding them was about
    a quarter of a command's work. A unit of work uses them only if the head it reads
    under the append lock is ``head``: anything appended since (another process, another
    store on the database, an import) moves the head, and they are dropped."""

    head: Head
    views: dict[str, StreamView]


class Writer(LogSession):
    """One unit of work holding the append lock: reads see what it has appended."""

    def __init__(
        self,
        connection: Connection,
        on_append: AppendHook | None = None,
        decoded: dict[str, Event] | None = None,
        kept: KeptViews | None = None,
    ) -> None:
        super().__init__(connection)
        self._on_append = on_append
        self._head: tuple[int, str, datetime | None] | None = None
        #: (position, ``prev_hash``) of the first event of this unit of work's last append
        self._first_link: tuple[int, str] | None = None
        self._versions: dict[str, int] = {}
        # Answers loaded in bulk by prefetch(); valid until the next append. A found event
        # is kept as its row until it is asked for (most are never decoded).
        self._found: dict[str, StoredRef | Sequence[Any] | None] = {}
        #: events decoded from rows, by their hash (which the hash chain makes name the
        #: row's whole content): shared by the units of work of one store
        self._decoded: dict[str, Event] = {} if decoded is None else decoded
        self._streams: dict[str, list[Event]] = {}
        self._referrers: dict[str, list[Referrer]] = {}
        self._time_zone: ZoneInfo | None = None
        #: stream views holding the log as this unit of work sees it: the store's kept
        #: views, until the head is read (then only if it is theirs) and until this unit
        #: of work appends (which they do not hold); then those given to keep_views.
        #: What the store keeps after it (:meth:`views_to_keep`)
        self._kept = kept
        self._appended = False
        #: the rows of the prefetch's first query, sent with the lock (:meth:`read_ahead`)
        self._ahead: tuple[tuple[str, tuple[Any, ...]], list[Any]] | None = None

    def time_zone(self) -> ZoneInfo:
        """The network's time zone as stored, read once in this unit of work (with its
        lock; on PostgreSQL in the lock's round trip, on SQLite with the prefetch's first
        query): ``coord init --tz`` changes it only holding the same lock, so the rules'
        local dates and the read models' day counts of this unit of work take the same
        zone, whatever another process changed before."""
        if self._time_zone is None:
            self._time_zone = network_time_zone(self.connection)
        return self._time_zone

    def stop_append_hook(self) -> bool:
        """Append without calling the append hook for the rest of this unit of work (an
        import that re-derives the read models in bulk before it commits); returns
        whether there was one."""
        stopped, self._on_append = self._on_append is not None, None
        return stopped

    def prefetch(
        self, event_ids: Iterable[str], streams: Iterable[str], keys: Iterable[str] = ()
    ) -> None:
        """Load in a few queries what :meth:`find_event`, :meth:`stream_events` and
        :meth:`referrers` will be asked next (an import decides a batch of lines at a
        time; a command, one event), and the head of the log if it is not known yet;
        kept until the next :meth:`append`, which changes the answers, or the next
        prefetch, which replaces them (so memory stays bounded by one batch).

        The events of the ids and of the streams come in one query (with the head, the
        first time), so a command reads everything its rules need in one statement;
        streams of the store's :class:`KeptViews` are left out while the head is theirs
        (:meth:`kept_views` gives them)."""
        self._found.clear()
        self._streams.clear()
        wanted_keys = list(dict.fromkeys(keys))
        self._referrers = self.referrers_of_keys(wanted_keys) if wanted_keys else {}
        ids, wanted, skipped = self._planned(event_ids, streams)
        self._found.update(dict.fromkeys(ids))
        self._read_whole(ids, wanted)
        if skipped and self._kept is None:  # the head read with the rest is not theirs
            self._read_whole((), skipped)

    def _planned(
        self, event_ids: Iterable[str], streams: Iterable[str]
    ) -> tuple[list[str], list[str], list[str]]:
        """The ids and streams :meth:`prefetch` reads, each once; and the streams it
        leaves out as long as the store's kept views hold (if the head it reads with the
        rest is theirs; else it reads them after)."""
        ids = list(dict.fromkeys(i.lower() for i in event_ids))
        wanted = list(dict.fromkeys(streams))
        kept = {} if self._kept is None else self._kept.views
        skipped = [stream for stream in wanted if stream in kept]
        if skipped:
            wanted = [stream for stream in wanted if stream not in kept]
        return ids, wanted, skipped

    def _read_whole(self, ids: Sequence[str], wanted: Sequence[str]) -> None:
        """Read the events with the ``ids`` and those of the ``wanted`` streams (and the
        head of the log, when it is not known yet), a few hundred of each a query."""
        for stream in wanted:
            self._streams[stream] = []
        id_chunks = list(_chunks(ids, _IN_BATCH))
        stream_chunks = list(_chunks(wanted, _IN_BATCH))
        versions = dict.fromkeys(wanted, 0)
        for n in range(max(len(id_chunks), len(stream_chunks), 1 if self._head is None else 0)):
            id_chunk = id_chunks[n] if n < len(id_chunks) else ()
            stream_chunk = stream_chunks[n] if n < len(stream_chunks) else ()
            self._read_events(id_chunk, stream_chunk, versions)
        # a stream read whole tells its version (the lock keeps it so until we append)
        self._versions.update(versions)

    def _read_events(
        self, ids: Sequence[str], streams: Sequence[str], versions: dict[str, int]
    ) -> None:
        """One query: the events with these ids and those of these streams (and the head
        of the log, when it is not known yet); ``versions`` gets the version of the last
        event of each stream read."""
        found = self._found
        wanted = self._streams
        head: Sequence[Any] | None = None
        zone: list[tuple[Any]] = []
        # rows of found_by and the columns of _SQLITE_COLUMNS (PostgreSQL: and prev_hash
        # before the hash, last), read by index: most are never converted (their events
        # are in the store's decoded events already, by hash)
        for row in self._wanted_rows(ids, streams):
            found_by = row[0]
            if found_by == _BY_ID:
                found[row[2]] = row  # decoded if it is asked for
            elif found_by == _BY_STREAM:
                stream = row[3]
                event = self._decoded_event(row)
                wanted[stream].append(event)
                versions[stream] = row[4]
                if found.get(row[2]) is not None:
                    found[row[2]] = StoredRef(stream, event)
            elif found_by == _HEAD:
                head = row
            else:
                zone = [(row[2],)]
        if self._head is None:
            if not self._postgresql:  # read with the head (see _sqlite_wanted)
                keep_time_zone_read(self._conn, zone)
            if head is None:
                self._read_head((0, GENESIS_HASH, None))
            else:
                self._read_head((head[1], head[-1], _instant_of(head[8], self._postgresql)))

    def _decoded_event(self, row: Sequence[Any]) -> Event:
        """The event of a row of :meth:`_wanted_rows`: the one decoded before when its
        hash is in the store's decoded events, else decoded (and kept there)."""
        decoded = self._decoded
        digest = row[-1]
        event = decoded.pop(digest, None)  # put back last: the most recently used
        if event is None:
            event = decode_row(_event_row(row, self._postgresql))
            if len(decoded) >= DECODED_EVENTS:
                _forget_least_recent(decoded, DECODED_EVENTS // 4)
        decoded[digest] = event
        return event

    def _wanted_rows(self, ids: Sequence[str], streams: Sequence[str]) -> Iterable[Sequence[Any]]:
        """The rows of :meth:`_read_events`' query: ``found_by`` then the values of an
        ``events`` row as the driver gives them (see :func:`_event_row`); read already if
        they are those of the query the store sent with the lock."""
        query = self._wanted_query(ids, streams)
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] == query:
            return ahead[1]
        return driver_rows(self._conn, *query)

    def _wanted_query(
        self, ids: Sequence[str], streams: Sequence[str]
    ) -> tuple[str, tuple[Any, ...]]:
        """The statement and parameters of :meth:`_wanted_rows`' query."""
        first = self._head is None
        if self._postgresql:
            return _PG_WANTED_QUERIES[first], (list(ids), list(streams))
        if len(ids) <= LISTED and len(streams) <= LISTED:
            return _sqlite_listed(len(ids), len(streams), first), (*ids, *streams)
        return _SQLITE_WANTED_QUERIES[first], (_json_array(ids), _json_array(streams))

    def opening_query(
        self, event_ids: Iterable[str], streams: Iterable[str]
    ) -> tuple[str, tuple[Any, ...]]:
        """The first query of :meth:`prefetch` of these ids and streams, before anything
        is read: for the store to send it with the unit of work's ``BEGIN`` and lock (on
        PostgreSQL, in their round trip), and hand its rows to :meth:`read_ahead`."""
        ids, wanted, _ = self._planned(event_ids, streams)
        return self._wanted_query(ids[:_IN_BATCH], wanted[:_IN_BATCH])

    def read_ahead(self, query: tuple[str, tuple[Any, ...]], rows: list[Any]) -> None:
        """The rows of :meth:`opening_query`'s ``query``, sent before the prefetch runs
        it (which then takes them instead of sending it)."""
        self._ahead = (query, rows)

    def referrers(self, key: str) -> list[Referrer]:
        cached = self._referrers.get(key)
        return list(cached) if cached is not None else super().referrers(key)

    def find_event(self, event_id: str) -> StoredRef | None:
        key = event_id.lower()
        if key in self._found:
            found = self._found[key]
            if found is None or isinstance(found, StoredRef):
                return found
            ref = self._found[key] = StoredRef(stream=found[3], event=self._decoded_event(found))
            return ref
        return super().find_event(event_id)

    def stream_events(self, stream: str) -> list[Event]:
        if stream in self._streams:
            return list(self._streams[stream])
        events = super().stream_events(stream)
        # its version too (a stream's versions are 1, 2, ...): an append to it (a
        # retraction, whose stream no prefetch names) then asks for it no more
        self._versions[stream] = len(events)
        return events

    def _load_head(self) -> tuple[int, str, datetime | None]:
        if self._head is None:
            row = self._conn.execute(
                select(events.c.position, events.c.hash, events.c.recorded_at)
                .order_by(events.c.position.desc())
                .limit(1)
            ).first()
            self._read_head((0, GENESIS_HASH, None) if row is None else (row[0], row[1], row[2]))
        assert self._head is not None
        return self._head

    def _read_head(self, head: tuple[int, str, datetime | None]) -> None:
        """The head of the log as read in this unit of work (holding the append lock):
        the store's kept views are used only if it is theirs."""
        self._head = head
        kept = self._kept
        if kept is not None and kept.head != head[:2]:
            self._kept = None

    def kept_views(self) -> dict[str, StreamView]:
        """The stream views the store kept from its last unit of work, if they hold the
        log as it is (its head, read now if not yet, is theirs); else a new, empty
        dict. For a :class:`~coord.domain.ledger.Ledger` to start from and add to; hand
        them back with :meth:`keep_views`."""
        self._load_head()
        return {} if self._kept is None else self._kept.views

    def keep_views(self, views: dict[str, StreamView]) -> None:
        """Have the store keep these views for its next unit of work: they hold every
        stream in them as the log stands now, this unit of work's appends included (a
        Ledger that accepted each of them). The least recently used go beyond
        :data:`KEPT_STREAMS`. Appending after this call drops them."""
        position, digest, _ = self._load_head()
        excess = len(views) - KEPT_STREAMS
        if excess > 0:
            _forget_least_recent(views, excess + KEPT_STREAMS // 4)
        self._kept = KeptViews(Head(position, digest), views)

    def views_to_keep(self, *, committed: bool) -> KeptViews | None:
        """What the store keeps once this unit of work has ended: the views given to
        :meth:`keep_views` after its last append, or those it took when it appended
        nothing (committed or not: the log is as it was). None when it appended and
        rolled back."""
        if not committed and self._appended:
            return None
        return self._kept

    def head(self) -> Head | None:
        position, digest, _ = self._load_head()
        return Head(position, digest) if position else None

    def chain_link(self, position: int) -> str | None:
        """:func:`chain_link`, known without a query for the first event of this unit of
        work's last append (the projector asks it of every append)."""
        first = self._first_link
        if first is not None and first[0] == position:
            return first[1]
        return chain_link(self._conn, position)

    def last_recorded_at(self) -> datetime | None:
        return self._load_head()[2]

    def stream_version(self, stream: str) -> int:
        return self._load_versions([stream])[stream]

    def _load_versions(self, streams: Iterable[str]) -> dict[str, int]:
        wanted = list(dict.fromkeys(streams))
        kept = self._kept
        if kept is not None:
            # a kept view holds every event of its stream (the head is theirs)
            for stream in wanted:
                view = kept.views.get(stream)
                if view is not None and stream not in self._versions:
                    self._versions[stream] = len(view.events)
        missing = [s for s in wanted if s not in self._versions]
        for chunk in _chunks(missing, _IN_BATCH):
            rows = self._conn.execute(
                select(events.c.stream, func.max(events.c.version))
                .where(events.c.stream.in_(chunk))
                .group_by(events.c.stream)
            )
            found = {row[0]: row[1] for row in rows}
            for stream in chunk:
                self._versions[stream] = int(found.get(stream) or 0)
        return {s: self._versions[s] for s in wanted}

    def append(self, records: Sequence[Accepted]) -> list[int]:
        """Append accepted events in order; return their global positions.

        Raises :class:`ConcurrencyError` when a record's ``version`` is not its stream's
        current version + 1 (nothing of the batch is then written).
        """
        if not records:
            return []
        # Event ids this unit of work has seen to be absent (prefetched since the last
        # append) cannot collide: the rows then go in without a savepoint around them.
        unseen = self._found
        known_new = len({r.event.event_id for r in records}) == len(records) and all(
            (i := r.event.event_id) in unseen and unseen[i] is None for r in records
        )
        self._found = {}
        self._streams.clear()
        self._referrers.clear()
        position, prev_hash, last_recorded = self._load_head()
        versions = self._load_versions(r.stream for r in records)
        # the views kept hold the log before this append only
        self._kept = None
        self._appended = True
        postgresql = self._postgresql
        event_rows: list[tuple[Any, ...]] = []
        reference_rows: list[tuple[Any, ...]] = []
        first_link = (position + 1, prev_hash)
        for record in records:
            stream, version = record.stream, record.version
            current = versions[stream]
            if version != current + 1:
                raise ConcurrencyError(stream, version - 1, current)
            versions[stream] = version
            event = record.event
            recorded_at = event.recorded_at
            if recorded_at is None:
                raise ValueError(f"event {event.event_id} has no recorded_at")
            if last_recorded is not None and recorded_at < last_recorded:
                raise ValueError(
                    f"event {event.event_id}: recorded_at {recorded_at.isoformat()} is earlier "
                    f"than the last stored one ({last_recorded.isoformat()})"
                )
            position += 1
            export = encode_event(event)
            digest = chain_hash(prev_hash, canonical_bytes(position, stream, version, export))
            actor = export.get("actor")
            occurred: Any
            recorded: Any
            if postgresql:
                occurred, recorded = _instant(event.occurred_at), _instant(recorded_at)
            else:
                occurred = _sqlite_text(export["occurred_at"], event.occurred_at)
                recorded = _sqlite_text(export["recorded_at"], recorded_at)
            event_rows.append(
                (
                    position,
                    event.event_id,
                    stream,
                    version,
                    event.type,
                    event.schema_version,
                    occurred,
                    recorded,
                    _JSON_NULL if actor is None else orjson.dumps(actor).decode(),
                    orjson.dumps(export["data"]).decode(),
                    prev_hash,
                    digest,
                )
            )
            for ordinal, ref in enumerate(record.references):
                at: Any = ref.at
                if at is event.occurred_at:
                    at = occurred
                else:
                    at = _instant(at) if postgresql else _sqlite_instant(at)
                reference_rows.append((position, ordinal, ref.key, at))
            prev_hash, last_recorded = digest, recorded_at
        self._insert(event_rows, reference_rows, savepoint=not known_new)
        self._first_link = first_link
        self._head = (position, prev_hash, last_recorded)
        self._versions.update(versions)
        positions = [row[0] for row in event_rows]
        if self._on_append is not None:
            self._on_append(self, records, positions)
        if self._postgresql and is_pending(self._conn, _INSERT_EVENTS):
            # deferred by _write, and not sent with a statement of the hook (the
            # projector's first, moving the checkpoint, takes it): sent now, so that
            # whatever reads the log next sees these events
            flush_pending(self._conn)
        return positions

    def _insert(
        self,
        event_rows: list[tuple[Any, ...]],
        reference_rows: list[tuple[Any, ...]],
        *,
        savepoint: bool,
    ) -> None:
        """Write the rows (values as the driver takes them) in a savepoint, unless no row
        can collide with a stored one."""
        dbapi_error = self._conn.dialect.loaded_dbapi.IntegrityError
        try:
            if savepoint:
                with self._conn.begin_nested():
                    self._write(event_rows, reference_rows, deferred=False)
            else:
                self._write(event_rows, reference_rows, deferred=self._postgresql)
        except (IntegrityError, dbapi_error) as error:
            raise _insert_failure(error) from error

    def _write(
        self,
        event_rows: list[tuple[Any, ...]],
        reference_rows: list[tuple[Any, ...]],
        *,
        deferred: bool,
    ) -> None:
        """``deferred`` (PostgreSQL, no savepoint): a command's few rows go to the server
        with the next statement (:func:`~coord.store.engine.defer`; the projector's, moving
        the checkpoint), in its round trip; an error they meet is raised there as
        :meth:`_insert` raises it."""
        for table, columns, rows in (
            ("events", _EVENT_COLUMNS, event_rows),
            ("event_references", _REFERENCE_COLUMNS, reference_rows),
        ):
            if not rows:
                continue
            if self._postgresql and len(rows) >= COPY_FROM:
                flush_pending(self._conn)  # COPY is not pipelined: what precedes it first
                self._copy(table, columns, rows)
                continue
            if self._postgresql:
                statement = _PG_INSERTS[table]
            else:
                statement = (
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join(['?'] * len(columns))})"
                )
            for chunk in _chunks(rows, INSERT_BATCH):
                many = len(chunk) > 1
                if deferred:
                    defer(
                        self._conn,
                        statement,
                        chunk if many else chunk[0],
                        many=many,
                        translate=_deferred_insert_failure,
                    )
                elif many:
                    driver_execute(self._conn, statement, chunk, many=True)
                else:
                    driver_execute(self._conn, statement, chunk[0])

    def _copy(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """PostgreSQL ``COPY ... FROM STDIN`` of the rows, on this unit of work's own
        connection (so inside its transaction)."""
        driver = self._conn.connection.driver_connection
        assert driver is not None
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)


#: Rows at or above which PostgreSQL gets them by ``COPY`` (below, ``INSERT``s: a COPY
#: costs a round trip more).
COPY_FROM = 20
_EVENT_COLUMNS = (
    "position", "event_id", "stream", "version", "type", "schema_version", "occurred_at",
    "recorded_at", "actor", "data", "prev_hash", "hash",
)  # fmt: skip
_REFERENCE_COLUMNS = ("position", "ordinal", '"key"', "at")
#: PostgreSQL: the INSERT of each table's rows
_PG_INSERTS = {
    table: f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    for table, columns in (("events", _EVENT_COLUMNS), ("event_references", _REFERENCE_COLUMNS))
}
_INSERT_EVENTS = _PG_INSERTS["events"]


def _insert_failure(error: Exception) -> Exception:
    """What an append raises for a unique key its rows collide with: an event id
    already stored, or a stream version or position taken by another writer."""
    reason = str(getattr(error, "orig", None) or error)
    if "event_id" in reason:
        return DuplicateEventError("an event with one of these event ids is already stored")
    return ConcurrencyError(None, None, None)


def _deferred_insert_failure(error: Exception) -> Exception | None:
    """:func:`_insert_failure` of the driver's error raised by the statement a deferred
    append went with, when the append's rows caused it (a key of the log's tables)."""
    diag = getattr(error, "diag", None)
    table = getattr(diag, "table_name", None)
    if getattr(diag, "sqlstate", None) != _UNIQUE_VIOLATION or table not in _PG_INSERTS:
        return None
    return _insert_failure(error)


#: PostgreSQL's SQLSTATE for a unique key violated
_UNIQUE_VIOLATION = "23505"
#: what the JSON column holds for an absent actor (as SQLAlchemy's JSON type writes None)
_JSON_NULL = "null"


def _instant(at: datetime) -> datetime:
    """A ``UTCDateTime`` value as PostgreSQL's driver takes it (an aware instant, in UTC)."""
    if at.tzinfo is None:
        raise ValueError(f"expected an aware datetime, got {at!r}")
    return at.astimezone(UTC)


def _sqlite_text(exported: str, at: datetime) -> str:
    """:func:`_sqlite_instant` of ``at``, from its export form ``exported`` (UTC,
    ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``) when it has that length: cheaper than formatting
    the instant again."""
    if len(exported) == 20:
        return f"{exported[:10]} {exported[11:19]}.000000"
    if len(exported) == 27:
        return f"{exported[:10]} {exported[11:26]}"
    return _sqlite_instant(at)


def _sqlite_instant(at: datetime) -> str:
    """A ``UTCDateTime`` value as SQLite stores it: UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``
    (what the column type and SQLAlchemy's SQLite ``DATETIME`` write)."""
    if at.tzinfo is UTC:
        return at.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"
    if at.tzinfo is None:
        raise ValueError(f"expected an aware datetime, got {at!r}")
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class EventStore:
    """The event log of one database.

    ``wal_checkpoints``: on a SQLite file, checkpoint its write-ahead log on a thread of
    its own rather than in the committing command (:mod:`coord.store.wal_checkpoints`);
    :meth:`close` stops that thread.
    """

    def __init__(
        self, engine: Engine, on_append: AppendHook | None = None, *, wal_checkpoints: bool = False
    ) -> None:
        self.engine = engine
        self.on_append = on_append
        #: the events its writers decoded, by hash (see :data:`DECODED_EVENTS`)
        self._decoded: dict[str, Event] = {}
        #: the rules' stream views kept between units of work (see :class:`KeptViews`);
        #: taken by a unit of work while it runs (another thread's meanwhile starts
        #: without them)
        self._kept_views: KeptViews | None = None
        self._views_lock = threading.Lock()
        sqlite = sqlite_file(engine.url.render_as_string())
        file = sqlite if wal_checkpoints else None
        self.wal_checkpointer = WalCheckpointer(file) if file else None
        #: SQLite file: each thread's writing connection, kept open between its units of
        #: work (see :meth:`_kept_connection`); all of them, to close
        self._keeps = sqlite is not None
        self._thread_writer = threading.local()
        self._kept: dict[threading.Thread, Connection] = {}
        self._kept_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> EventStore:
        return cls(create_engine_for(url))

    def close(self) -> None:
        """Stop the WAL checkpoint thread, if there is one, and close the kept writing
        connections (the engine stays open)."""
        with self._kept_lock:
            kept, self._kept = list(self._kept.values()), {}
        for connection in kept:
            connection.close()
        if self.wal_checkpointer is not None:
            self.wal_checkpointer.close()

    def _kept_connection(self) -> Connection | None:
        """On a SQLite file, this thread's writing connection, kept open between its units
        of work: taking a connection from the engine's pool and giving it back (its
        checkout, events and reset) cost a command several times SQLite's own ``BEGIN
        IMMEDIATE`` and ``COMMIT``. None on PostgreSQL, and for a unit of work begun
        inside another of the same thread (it gets a connection of its own, as before).
        Between units of work the connection holds no transaction, so no snapshot nor
        lock."""
        if not self._keeps:
            return None
        connection: Connection | None = getattr(self._thread_writer, "connection", None)
        if connection is not None and not connection.closed and not connection.invalidated:
            return None if connection.in_transaction() else connection
        connection = self.engine.connect()
        connection.execution_options(**{WRITE: True})
        self._thread_writer.connection = connection
        with self._kept_lock:
            # a thread that has ended (the TUI runs each form check and save on a
            # worker thread of its own) gives its connection back here, not at close
            ended = [thread for thread in self._kept if not thread.is_alive()]
            left = [self._kept.pop(thread) for thread in ended]
            self._kept[threading.current_thread()] = connection
        for old in left:
            old.close()
        return connection

    def _forget(self, connection: Connection) -> None:
        """Close a kept connection whose transaction could not begin (and keep no other
        in its place until the next unit of work)."""
        self._thread_writer.connection = None
        with self._kept_lock:
            if self._kept.get(threading.current_thread()) is connection:
                del self._kept[threading.current_thread()]
        connection.close()

    @contextmanager
    def writing(self, prefetch: Reads | None = None) -> Iterator[Writer]:
        """One unit of work in one transaction holding the append lock: commits on normal
        exit, rolls back on an exception. ``prefetch``: what it reads first
        (:meth:`Writer.prefetch`), read before it is handed out; on PostgreSQL its query
        goes with the ``BEGIN`` and the lock, in their round trip (a command waits for
        the server 3 times instead of 4)."""
        checkpointer = self.wal_checkpointer
        kept = self._kept_connection()
        with nullcontext(kept) if kept is not None else self.engine.connect() as connection:
            postgresql = is_postgresql(connection)
            if kept is None:
                if postgresql:
                    # BEGIN sent by begin_with, with the lock statement (see there)
                    connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.execution_options(**{WRITE: True})
            if checkpointer is not None:
                checkpointer.bound(connection.connection.dbapi_connection, connection.info)
            with self._views_lock:
                views, self._kept_views = self._kept_views, None
            writer = Writer(connection, self.on_append, self._decoded, views)
            try:
                transaction = connection.begin()
                if postgresql:
                    # the timeout set first, then the lock taken, then the time zone and
                    # the prefetch's first query read, in one round trip with the BEGIN
                    then = [time_zone_read(connection)]
                    if prefetch is not None:
                        then.append(writer.opening_query(prefetch.event_ids, prefetch.streams))
                    zone, *ahead = begin_with(
                        connection, _LOCK_STATEMENT, (LOCK_TIMEOUT, APPEND_LOCK_KEY), then
                    )
                    if ahead:
                        writer.read_ahead(then[1], ahead[0])
            except OperationalError as error:
                with self._views_lock:
                    self._kept_views = views  # nothing read nor written
                if kept is not None:
                    self._forget(kept)
                raise StoreBusy(
                    "the event log is busy (another import or command is writing); try again"
                ) from error
            committed = False
            try:
                with transaction:
                    if postgresql:
                        # writes nothing reads back go with the next statement or the
                        # COMMIT (coord.store.engine.defer)
                        pending_writes(connection, True)
                        # read with the lock (which a change of it holds too), for the
                        # projector's rows: a round trip fewer
                        keep_time_zone_read(connection, zone)
                    if prefetch is not None:
                        writer.prefetch(prefetch.event_ids, prefetch.streams, prefetch.keys)
                    yield writer
                    if postgresql:
                        commit_with_pending(connection)
                committed = True
            finally:
                views = writer.views_to_keep(committed=committed)
                if views is not None:
                    with self._views_lock:
                        self._kept_views = views
                if postgresql:
                    pending_writes(connection, False)
                keep_time_zone_read(connection, None)
            if checkpointer is not None:
                # the connection holds no transaction now: the checkpointer may finish
                # its thread's checkpoint on it, before this thread's next BEGIN
                checkpointer.committed(connection.connection.dbapi_connection)

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """A read-only unit of work (one consistent snapshot)."""
        with self.engine.connect() as connection:
            if is_postgresql(connection):
                connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield Reader(connection)


if TYPE_CHECKING:

    def _is_log_reader(session: LogSession) -> LogReader:
        return session  # mypy checks that the store implements the domain's protocol
