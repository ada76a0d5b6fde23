"""The live event-log view's pages: the log newest first, a keyset page at a time (never
every row), each event with who recorded it and whether it has been retracted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coord.events import Event
from coord.events.types import EventRetracted
from coord.store.log import EventStore
from coord.store.log_pages import newest_events, retractions_of

#: data fields never shown (SPEC: logs never show NHS numbers)
HIDDEN_FIELDS = frozenset({"nhs_number"})


@dataclass(frozen=True, slots=True)
class LogEntry:
    position: int
    stream: str
    event: Event
    #: the reason of the retraction of this event, if it has been retracted
    retracted_because: str | None

    @property
    def details(self) -> str:
        """The event's data as ``field=value`` pairs (the stream's own id left out)."""
        data: dict[str, Any] = dict(self.event.written_data)
        subject = self.event.data.SUBJECT
        if subject and self.stream.endswith(f":{data.get(subject)}"):
            data.pop(subject, None)
        parts = [f"{k}={'…' if k in HIDDEN_FIELDS else _short(v)}" for k, v in data.items()]
        return " ".join(parts)


def _short(value: Any) -> str:
    text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def log_page(store: EventStore, *, before: int | None = None, limit: int = 100) -> list[LogEntry]:
    """Up to ``limit`` events before global position ``before`` (the newest when None),
    newest first."""
    with store.reading() as reader:
        page = newest_events(reader.connection, before=before, limit=limit)
        retractions = retractions_of(reader.connection, [p.event.event_id for p in page])
    return [
        LogEntry(p.position, p.stream, p.event, _reason(retractions.get(p.event.event_id)))
        for p in page
    ]


def _reason(retraction: Event | None) -> str | None:
    data = retraction.data if retraction is not None else None
    return data.reason if isinstance(data, EventRetracted) else None
