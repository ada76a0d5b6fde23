"""Pages of the event log for screens: the whole log newest first (keyset pages by
position), the events of some streams oldest first, and the retractions of events.

Rows come back decoded (old schema versions upcast) with their position and stream.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from coord.events import Event
from coord.events.types import EventRetracted
from coord.store.rows import decode_row
from coord.store.schema import event_references, events

_IN_BATCH = 500


@dataclass(frozen=True, slots=True)
class PositionedEvent:
    """An event with its place in the log: global position and stream."""

    position: int
    stream: str
    event: Event


def newest_events(
    connection: Connection, *, before: int | None = None, limit: int = 100
) -> list[PositionedEvent]:
    """Up to ``limit`` events before global position ``before`` (the newest when None),
    newest first."""
    query = select(events).order_by(events.c.position.desc()).limit(limit)
    if before is not None:
        query = query.where(events.c.position < before)
    return [
        PositionedEvent(row.position, row.stream, decode_row(row))
        for row in connection.execute(query)
    ]


def events_of_streams(
    connection: Connection, streams: Collection[str], *, offset: int = 0, limit: int = 100
) -> list[PositionedEvent]:
    """A page of the events of ``streams``, in global (position) order."""
    rows = connection.execute(
        select(events)
        .where(events.c.stream.in_(list(streams)))
        .order_by(events.c.position)
        .limit(limit)
        .offset(offset)
    )
    return [PositionedEvent(row.position, row.stream, decode_row(row)) for row in rows]


def count_events_of_streams(connection: Connection, streams: Collection[str]) -> int:
    """How many events ``streams`` hold together."""
    total = connection.execute(
        select(func.count()).select_from(events).where(events.c.stream.in_(list(streams)))
    ).scalar_one()
    return int(total)


def retractions_of(connection: Connection, event_ids: Sequence[str]) -> dict[str, Event]:
    """The ``EventRetracted`` event retracting each of these events that has one (at most
    one may), by the id of the event it retracts."""
    found: dict[str, Event] = {}
    for start in range(0, len(event_ids), _IN_BATCH):
        keys = [f"event:{i}" for i in event_ids[start : start + _IN_BATCH]]
        rows = connection.execute(
            select(events)
            .join_from(event_references, events, event_references.c.position == events.c.position)
            .where(event_references.c.key.in_(keys))
        )
        for row in rows:
            event = decode_row(row)
            if isinstance(event.data, EventRetracted):
                found[event.data.event_id] = event
    return found
