"""Reading ``events`` rows: keyset pages in position order, decoded into events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, select

from coord.events import Event
from coord.events.envelope import decode_stored
from coord.store.schema import events


@dataclass(frozen=True, slots=True)
class StoredEvent:
    position: int
    stream: str
    version: int
    event: Event
    prev_hash: str
    hash: str


def decode_row(row: Any) -> Event:
    """The :class:`Event` of an ``events`` row (old schema versions upcast)."""
    return decode_stored(
        event_id=row.event_id,
        type_name=row.type,
        schema_version=row.schema_version,
        occurred_at=row.occurred_at,
        recorded_at=row.recorded_at,
        actor=row.actor,
        data=row.data,
    )


def stored_event(row: Any) -> StoredEvent:
    return StoredEvent(
        position=row.position,
        stream=row.stream,
        version=row.version,
        event=decode_row(row),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def iter_rows(
    connection: Connection, after_position: int = 0, batch_size: int = 1000
) -> Iterator[Row[Any]]:
    """``events`` rows in position order, fetched ``batch_size`` at a time (keyset pages)."""
    last = after_position
    while True:
        page = connection.execute(
            select(events)
            .where(events.c.position > last)
            .order_by(events.c.position)
            .limit(batch_size)
        ).all()
        yield from page
        if len(page) < batch_size:
            return
        last = page[-1].position
