"""A pure in-memory log: the reference implementation of :class:`LogReader`, for tests
and replays."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from coord.domain.ledger import Ledger
from coord.domain.log import Accepted, Decision, Referrer, Rejected, StoredRef
from coord.events import Event
from coord.events.types import EventRetracted

LONDON = ZoneInfo("Europe/London")


class VersionConflict(RuntimeError):
    """An append whose version is not the stream's length + 1, or whose id is stored."""


class RejectedEvent(ValueError):
    """Raised by :meth:`InMemoryLog.append_all` for a rejected event."""

    def __init__(self, index: int, event: Event, reason: str) -> None:
        super().__init__(f"event {index} ({event.type} {event.event_id}): {reason}")
        self.index = index
        self.event = event
        self.reason = reason


class InMemoryLog:
    """Every event in global order, with stream, id and reference indexes."""

    def __init__(self) -> None:
        self._order: list[StoredRef] = []
        self._streams: dict[str, list[Event]] = {}
        self._by_id: dict[str, StoredRef] = {}
        self._refs: dict[str, list[Referrer]] = {}
        self._retracted: set[str] = set()

    # --- LogReader ----------------------------------------------------------------------

    def stream_events(self, stream: str) -> Sequence[Event]:
        return tuple(self._streams.get(stream, ()))

    def find_event(self, event_id: str) -> StoredRef | None:
        return self._by_id.get(event_id.lower())

    def referrers(self, key: str) -> Sequence[Referrer]:
        return [r for r in self._refs.get(key, ()) if r.event_id not in self._retracted]

    def last_recorded_at(self) -> datetime | None:
        return self._order[-1].event.recorded_at if self._order else None

    # --- writing ------------------------------------------------------------------------

    def append(self, accepted: Accepted) -> None:
        """Append an accepted event at its stream version (else :class:`VersionConflict`)."""
        event, stream = accepted.event, accepted.stream
        events = self._streams.setdefault(stream, [])
        if accepted.version != len(events) + 1:
            raise VersionConflict(
                f"{stream} is at version {len(events)}, not {accepted.version - 1}"
            )
        if event.event_id in self._by_id:
            raise VersionConflict(f"event {event.event_id} is already stored")
        events.append(event)
        ref = StoredRef(stream, event)
        self._order.append(ref)
        self._by_id[event.event_id] = ref
        for reference in accepted.references:
            referrer = Referrer(event_id=event.event_id, stream=stream, at=reference.at)
            self._refs.setdefault(reference.key, []).append(referrer)
        if isinstance(event.data, EventRetracted):
            self._retracted.add(event.data.event_id)

    def events(self) -> list[Event]:
        """Every stored event in global order."""
        return [ref.event for ref in self._order]

    def __len__(self) -> int:
        return len(self._order)

    def ledger(
        self,
        *,
        time_zone: ZoneInfo = LONDON,
        now: datetime | None = None,
        recorded_now: bool = False,
    ) -> Ledger:
        """A Ledger over this log (``now`` defaults to the current time)."""
        return Ledger(
            self,
            time_zone=time_zone,
            now=now or datetime.now(UTC),
            recorded_now=recorded_now,
        )

    def append_all(
        self,
        events: Iterable[Event],
        *,
        time_zone: ZoneInfo = LONDON,
        now: datetime | None = None,
        recorded_now: bool = False,
        raise_on_reject: bool = True,
    ) -> list[Decision]:
        """Decide each event in order with one Ledger, appending the accepted ones.

        Raises :class:`RejectedEvent` at the first rejection unless ``raise_on_reject`` is
        False (rejected events are then left out, like an import's invalid lines).
        """
        ledger = self.ledger(time_zone=time_zone, now=now, recorded_now=recorded_now)
        decisions: list[Decision] = []
        for index, event in enumerate(events):
            decision = ledger.decide(event)
            if isinstance(decision, Rejected) and raise_on_reject:
                raise RejectedEvent(index, event, decision.reason)
            if isinstance(decision, Accepted):
                ledger.accept(decision)
                self.append(decision)
                ledger.flushed()
            decisions.append(decision)
        return decisions
