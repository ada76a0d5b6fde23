"""A patient's timeline: every event of every stream about the patient — their
registration, referrals, cases, transfers and handovers, at every site — in the order
the log holds them, with the retraction (and its reason) of each retracted event.

The patient's streams are found through the reference index (each stream's opening
event names the patient); their events are read a page at a time in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coord.events import Event
from coord.events.types import EventRetracted, PatientRegistered
from coord.store.log import EventStore
from coord.store.log_pages import count_events_of_streams, events_of_streams, retractions_of
from coord.store.streams import patient_streams


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


def timeline_page(
    store: EventStore, patient_id: str, *, offset: int = 0, limit: int = 100
) -> TimelinePage:
    """A page of the patient's timeline, oldest (lowest position) first."""
    with store.reading() as reader:
        connection = reader.connection
        streams = patient_streams(connection, patient_id)
        if not streams:
            return TimelinePage(patient_id, (), 0, offset, ())
        page = events_of_streams(connection, streams, offset=offset, limit=limit)
        total = count_events_of_streams(connection, streams)
        retractions = retractions_of(connection, [p.event.event_id for p in page])
    entries = tuple(
        TimelineEntry(p.position, p.stream, p.event, _retraction(retractions.get(p.event.event_id)))
        for p in page
    )
    return TimelinePage(patient_id, entries, total, offset, streams)


def _retraction(event: Event | None) -> Retraction | None:
    if event is None or not isinstance(event.data, EventRetracted):
        return None
    return Retraction(event.event_id, event.data.reason, event)


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
