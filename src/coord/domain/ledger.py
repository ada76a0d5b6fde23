"""The one entry point for deciding events: import, CLI and UI all go through a Ledger.

A Ledger reads the stored log through a :class:`LogReader` and overlays the events it
has accepted since the store last flushed (their stream events, references, retractions
and ids). Stream states are loaded lazily and cached; the cache stays valid across
:meth:`Ledger.flushed` because a cached stream already holds the flushed events.

Every event appended to the log while a Ledger is in use must go through that Ledger's
:meth:`Ledger.accept` (one Ledger per import or command, inside its unit of work).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from coord.domain.log import (
    Accepted,
    Decision,
    Duplicate,
    LogReader,
    Referrer,
    Rejected,
    StoredRef,
)
from coord.domain.references import Reads, reads_of, references_of
from coord.domain.retraction import check_retraction, target_id
from coord.domain.rules import rules_for
from coord.domain.streams import StreamView, check_in_stream, fold, when
from coord.events import Event
from coord.events.records import builder

#: How far ahead of the store's clock a given ``recorded_at`` may be.
CLOCK_TOLERANCE = timedelta(minutes=5)
#: Cached streams kept across a flush (beyond this many, the least recently used go).
MAX_CACHED_STREAMS = 10_000
#: Accepted(event, stream, version, references), built quickly (once for every event)
_accepted = builder(Accepted)


class Ledger:
    """Decides events against the log plus the events accepted since the last flush."""

    def __init__(
        self,
        log: LogReader,
        *,
        time_zone: ZoneInfo,
        now: datetime,
        recorded_now: bool = False,
        views: dict[str, StreamView] | None = None,
    ) -> None:
        """``views``: stream views to start from instead of loading them, which this
        ledger then uses and adds to (in place, also in :meth:`accept`): those a caller
        keeps between units of work, which must hold each stream as ``log`` stores it
        (the store's writer checks that by the head of its log)."""
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime (UTC)")
        self._log = log
        self._tz = time_zone
        self._now = now
        self._latest_allowed = now + CLOCK_TOLERANCE
        self._recorded_now = recorded_now
        last = log.last_recorded_at()
        self._base_recorded_at = now if last is None else max(now, last)
        self._last_recorded_at = last
        #: in order of last use (a stream is moved to the end when it is used)
        self._streams: dict[str, StreamView] = {} if views is None else views
        #: event id -> (stream, event) of the events accepted since the last flush
        self._pending: dict[str, tuple[str, Event]] = {}
        #: key -> (event_id, stream, at) of the accepted events holding it
        self._pending_refs: dict[str, list[tuple[str, str, datetime]]] = {}
        self._pending_retracted: set[str] = set()

    # --- what the rules read (the Context protocol) -----------------------------------

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    def view(self, stream: str) -> StreamView:
        """A stream as stored plus pending (loaded on first use, then cached)."""
        streams = self._streams
        view = streams.pop(stream, None)
        if view is None:
            events = list(self._log.stream_events(stream))
            retracted = {target_id(e) for e in events if e.type == "EventRetracted"}
            live = [e for e in events if e.type != "EventRetracted" and e.event_id not in retracted]
            view = StreamView(stream, events, retracted, live, fold(rules_for(stream), live))
        streams[stream] = view  # the most recently used last
        return view

    def referrers(self, key: str) -> Sequence[Referrer]:
        """Non-retracted events, stored or pending, holding a reference with that key."""
        seen: set[str] = set()
        out: list[Referrer] = []
        pending = [Referrer(*held) for held in self._pending_refs.get(key, ())]
        for referrer in (*self._log.referrers(key), *pending):
            if referrer.event_id in self._pending_retracted or referrer.event_id in seen:
                continue
            seen.add(referrer.event_id)
            out.append(referrer)
        return out

    def find_event(self, event_id: str) -> StoredRef | None:
        """An event stored or accepted since the last flush, by its (lower-case) id."""
        pending = self._pending.get(event_id)
        if pending is not None:
            return StoredRef(*pending)
        return self._log.find_event(event_id)

    @property
    def default_recorded_at(self) -> datetime:
        """The recorded time given to events without one (or to every event with
        ``recorded_now``): the later of ``now`` and the latest recorded_at stored or
        accepted."""
        last = self._last_recorded_at
        return self._base_recorded_at if last is None else max(self._base_recorded_at, last)

    def reads(self, events: Iterable[Event]) -> Reads:
        """What deciding ``events`` will read of the stored log (:func:`reads_of`), less
        the streams this ledger holds already: for the store to load in bulk first."""
        reads = reads_of(events)
        reads.streams = [s for s in reads.streams if s not in self._streams]
        return reads

    # --- deciding ---------------------------------------------------------------------

    def decide(self, event: Event) -> Decision:
        """Accepted, Rejected (with a reason) or Duplicate; does not change the ledger."""
        known = self.find_event(event.event_id)
        if known is not None:
            difference = self._difference(known.event, event)
            if difference is None:
                return Duplicate(event.event_id)
            return Rejected(f"conflicting duplicate of event {event.event_id}: {difference}")
        recorded_at = self._recorded_at(event)
        if isinstance(recorded_at, Rejected):
            return recorded_at
        if event.type == "EventRetracted":
            target = self.find_event(target_id(event))
            if target is None:
                return Rejected(
                    f"event {target_id(event)} is not in the log; check the id of the event "
                    "to retract"
                )
            stream = target.stream
            view = self.view(stream)
            reason = check_retraction(event, target, view, self)
        else:
            stream = event.own_stream or ""
            view = self.view(stream)
            rules = rules_for(stream)
            reason = check_in_stream(rules, view.state, view.opener, event, self._tz)
            if reason is None:
                reason = rules.check_links(view.state, event, self)
        if reason is not None:
            return Rejected(reason)
        return _accepted(
            event.recorded(recorded_at),
            stream,
            len(view.events) + 1,
            references_of(event, stream),
        )

    def accept(self, decision: Accepted) -> None:
        """Fold an accepted event into the ledger's view (pending until :meth:`flushed`)."""
        event, stream = decision.event, decision.stream
        view = self.view(stream)
        view.events.append(event)
        event_id = event.event_id
        self._pending[event_id] = (stream, event)
        for ref in decision.references:
            self._pending_refs.setdefault(ref.key, []).append((event_id, stream, ref.at))
        rules = rules_for(stream)
        if event.type == "EventRetracted":
            target = target_id(event)
            view.retracted.add(target)
            self._pending_retracted.add(target)
            view.live = [e for e in view.live if e.event_id != target]
            view.state = fold(rules, view.live)
        else:
            view.live.append(event)
            view.state = rules.evolve(view.state, event)
        if event.recorded_at is not None and (
            self._last_recorded_at is None or event.recorded_at > self._last_recorded_at
        ):
            self._last_recorded_at = event.recorded_at

    def flushed(self) -> None:
        """The store has appended every accepted event: drop the pending overlay."""
        self._pending.clear()
        self._pending_refs.clear()
        self._pending_retracted.clear()
        excess = len(self._streams) - MAX_CACHED_STREAMS
        if excess > 0:
            # the least recently used, and a quarter more so that this is seldom done
            for stream in list(islice(self._streams, excess + MAX_CACHED_STREAMS // 4)):
                del self._streams[stream]

    # --- envelope rules ---------------------------------------------------------------

    def _recorded_at(self, event: Event) -> datetime | Rejected:
        given = event.recorded_at
        if self._recorded_now or given is None:
            return self.default_recorded_at
        if given > self._latest_allowed:
            return Rejected(
                f"recorded_at {when(given)} is more than 5 minutes after the store's clock "
                f"({when(self._now)}); leave recorded_at out to record the event now"
            )
        last = self._last_recorded_at
        if last is not None and given < last:
            return Rejected(
                f"recorded_at {when(given)} is earlier than that of an event already stored or "
                f"accepted ({when(last)}): recorded_at never decreases along the log; import "
                "with --recorded-now to record these events now"
            )
        return given

    def _difference(self, known: Event, event: Event) -> str | None:
        """What differs between a stored (or accepted) event and one with its id."""
        if known.type != event.type:
            return f"the type differs ({known.type} stored, {event.type} here)"
        if known.schema_version != event.schema_version:
            return (
                f"the schema_version differs ({known.schema_version} stored, "
                f"{event.schema_version} here)"
            )
        if known.occurred_at != event.occurred_at:
            return (
                f"occurred_at differs ({when(known.occurred_at)} stored, "
                f"{when(event.occurred_at)} here)"
            )
        if dict(known.written_data) != dict(event.written_data):
            names = sorted(
                name
                for name in {*known.written_data, *event.written_data}
                if known.written_data.get(name) != event.written_data.get(name)
            )
            return f"data differs in {', '.join(names)}"
        if known.actor != event.actor:
            return "the actor differs"
        if (
            not self._recorded_now
            and event.recorded_at is not None
            and known.recorded_at != event.recorded_at
        ):
            stored = "none" if known.recorded_at is None else when(known.recorded_at)
            return f"recorded_at differs ({stored} stored, {when(event.recorded_at)} here)"
        return None
