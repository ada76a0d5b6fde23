"""A patient's timeline: every event of every stream about the patient — their
registration, referrals, cases, transfers and handovers, at every site — in the order
the log holds them, with the retraction (and its reason) of each retracted event.

The patient's streams are found through the reference index (each stream's opening
event names the patient); their events are read a page at a time in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, distinct, func, select

from coord.events import Event
from coord.events.types import EventRetracted, PatientRegistered
from coord.store.log import EventStore
from coord.store.rows import decode_row
from coord.store.schema import event_references, events

_IN_BATCH = 500


@dataclass(frozen=True, slots=True)
class Retraction:
    """The ``EventRetracted`` that retracts an event of the timeline."""

    event_id: str
    reason: str
    event: Event


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    position: int
    stream: str
    event: Event
    #: the retraction of this event, when it has been retracted
    retracted_by: Retraction | None

    @property
    def is_retraction(self) -> bool:
        return isinstance(self.event.data, EventRetracted)


@dataclass(frozen=True, slots=True)
class TimelinePage:
    patient_id: str
    entries: tuple[TimelineEntry, ...]
    #: how many events the whole timeline holds
    total: int
    offset: int
    streams: tuple[str, ...]


def patient_streams(connection: Connection, patient_id: str) -> tuple[str, ...]:
    """The patient's own stream and every stream whose events name the patient, sorted."""
    own = f"patient:{patient_id}"
    rows = connection.execute(
        select(distinct(events.c.stream))
        .join_from(event_references, events, event_references.c.position == events.c.position)
        .where(event_references.c.key == own)
    )
    named = {row[0] for row in rows}
    present = connection.execute(
        select(events.c.stream).where(events.c.stream == own).limit(1)
    ).first()
    if present is not None:
        named.add(own)
    return tuple(sorted(named))


def timeline_page(
    store: EventStore, patient_id: str, *, offset: int = 0, limit: int = 100
) -> TimelinePage:
    """A page of the patient's timeline, oldest (lowest position) first."""
    with store.reading() as reader:
        connection = reader.connection
        streams = patient_streams(connection, patient_id)
        if not streams:
            return TimelinePage(patient_id, (), 0, offset, ())
        in_streams = events.c.stream.in_(streams)
        rows = connection.execute(
            select(events).where(in_streams).order_by(events.c.position).limit(limit).offset(offset)
        ).all()
        total = connection.execute(
            select(func.count()).select_from(events).where(in_streams)
        ).scalar_one()
        decoded = [(row.position, row.stream, decode_row(row)) for row in rows]
        retractions = _retractions_of(connection, [event.event_id for _, _, event in decoded])
    entries = tuple(
        TimelineEntry(position, stream, event, retractions.get(event.event_id))
        for position, stream, event in decoded
    )
    return TimelinePage(patient_id, entries, int(total), offset, streams)


def _retractions_of(connection: Connection, event_ids: list[str]) -> dict[str, Retraction]:
    """The retraction of each of these events that has one (at most one may)."""
    found: dict[str, Retraction] = {}
    for start in range(0, len(event_ids), _IN_BATCH):
        keys = [f"event:{i}" for i in event_ids[start : start + _IN_BATCH]]
        rows = connection.execute(
            select(events)
            .join_from(event_references, events, event_references.c.position == events.c.position)
            .where(event_references.c.key.in_(keys))
        )
        for row in rows:
            event = decode_row(row)
            data = event.data
            if isinstance(data, EventRetracted):
                found[data.event_id] = Retraction(event.event_id, data.reason, event)
    return found


#: data fields left out of a one-line summary (the subject is shown on its own)
_HIDDEN = {"nhs_number"}


def summary(event: Event) -> str:
    """What the event says, in one line, without its type or its subject (the stream
    names it) — and never an NHS number."""
    data = event.data
    if isinstance(data, EventRetracted):
        return f"retracts {data.event_id}: {data.reason}"
    parts: list[str] = []
    written: dict[str, Any] = dict(event.written_data)
    for name, value in written.items():
        if name in _HIDDEN or name == data.SUBJECT:
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        parts.append(f"{name.replace('_', ' ')} {value}")
    if isinstance(data, PatientRegistered) and data.nhs_number is not None:
        parts.append("NHS number recorded")
    return "; ".join(parts)
