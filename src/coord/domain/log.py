"""What the domain rules read of the log, and what they hand to the store.

The rules are pure: everything they need of the events already stored comes through
a :class:`LogReader`, implemented by the store (SQL, in the append transaction) and
by :class:`coord.domain.memory.InMemoryLog` (tests, pure replay).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from coord.events import Event


@dataclass(frozen=True, slots=True)
class Reference:
    """A cross-stream reference held by an event, indexed by the store.

    Keys:
    - ``site:<id>``, ``patient:<id>``, ``meeting:<id>``, ``referral:<id>``, ``case:<id>``:
      the subject of another stream (its stream name);
    - ``nhs:<sha256 hex of the NHS number>``: a registered NHS number (never stored in clear
      in the index);
    - ``listing:<pathway>``: a ``CaseListed`` of that pathway (``at`` = its occurred_at);
    - ``event:<event_id>``: the target of an ``EventRetracted``.
    """

    key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Referrer:
    """A non-retracted stored event that holds a reference with a given key."""

    event_id: str
    stream: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StoredRef:
    """Where an event is stored: its stream; used to resolve retraction targets."""

    stream: str
    event: Event


class LogReader(Protocol):
    """Read access to the log as stored (including what this unit of work has flushed)."""

    def stream_events(self, stream: str) -> Sequence[Event]:
        """Every event of the stream in stream order, retractions included."""
        ...

    def find_event(self, event_id: str) -> StoredRef | None:
        """The stored event with that (lower-case) id, and its stream."""
        ...

    def referrers(self, key: str) -> Sequence[Referrer]:
        """Non-retracted events holding a :class:`Reference` with that key."""
        ...

    def last_recorded_at(self) -> datetime | None:
        """The latest ``recorded_at`` stored (that of the last event in global order)."""
        ...


@dataclass(frozen=True, slots=True)
class Accepted:
    """An event the rules accept, ready to append.

    ``event.recorded_at`` is set; ``version`` is the stream version it takes (the stream's
    length before it + 1, so the store appends with expected version ``version - 1``).
    """

    event: Event
    stream: str
    version: int
    references: tuple[Reference, ...]


@dataclass(frozen=True, slots=True)
class Rejected:
    """An event the rules reject, with a reason written for a coordinator."""

    reason: str


@dataclass(frozen=True, slots=True)
class Duplicate:
    """An event whose id is already stored (or accepted earlier) with the same content."""

    event_id: str


Decision = Accepted | Rejected | Duplicate
