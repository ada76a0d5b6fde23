"""Keeping the read models up to date in every append transaction.

An appended event changes the records of the subject whose stream it is in (a
retraction: its target's stream). The projector recomputes exactly those subjects'
rows from their events (and, for a case, its transfers, meetings and protocol) with the
same fold the reports and rebuild use, replaces them, and moves the checkpoint — all
inside the append transaction, so the read models always match the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from coord.domain.log import Accepted
from coord.events import Event
from coord.events.types import CaseListed, CaseRelisted
from coord.projections.rows import rows_of
from coord.reports import derive_facts
from coord.store.log import Writer
from coord.store.readmodels import (
    ModelRow,
    network_time_zone,
    refs_of_owners,
    replace_owned,
    set_checkpoint,
)

#: stream kinds whose subjects own rows (protocols, sites and patients own none: the rules
#: keep a new or retracted protocol version from changing a listed case's requirements)
OWNING_KINDS = ("case", "transfer", "handover", "referral", "meeting")
#: streams' events kept in memory through one unit of work (an import touches a case in
#: many batches); beyond this many events the cache starts again
CACHE_LIMIT = 50_000
#: the one event of a meeting's stream that a case's records read (its cutoff)
MEETING_OPENER = "MeetingScheduled"


def owners_of(records: Iterable[Accepted]) -> set[str]:
    """The subjects whose rows the appended records change."""
    return {r.stream for r in records if r.stream.partition(":")[0] in OWNING_KINDS}


class Projector:
    """The append hook (one per store): recomputes the rows of every subject that the
    appended records touch."""

    def __init__(self) -> None:
        self._writer: Writer | None = None
        self._streams: dict[str, list[tuple[int, Event]]] = {}
        #: of meeting streams not in ``_streams``: only their MeetingScheduled
        self._openers: dict[str, list[tuple[int, Event]]] = {}
        self._transfers_of: dict[str, set[str]] = {}
        self._cached = 0
        self._zone: ZoneInfo | None = None

    def __call__(self, writer: Writer, records: Sequence[Accepted], positions: list[int]) -> None:
        if writer is not self._writer or self._cached > CACHE_LIMIT:
            self._writer, self._streams, self._openers, self._cached = writer, {}, {}, 0
            self._transfers_of = {}
            self._zone = network_time_zone(writer.connection)
        for record, position in zip(records, positions, strict=True):
            case_id = getattr(record.event.data, "case_id", None)
            if record.event.type == "TransferRequested" and case_id is not None:
                known = self._transfers_of.get(f"case:{case_id}")
                if known is not None:
                    known.add(record.stream)
            cached = self._streams.get(record.stream)
            if cached is not None:
                cached.append((position, record.event))
                self._cached += 1
            openers = self._openers.get(record.stream)
            if openers is not None and record.event.type == MEETING_OPENER:
                openers.append((position, record.event))
        owners = owners_of(records)
        transfers = {o for o in owners if o.startswith("transfer:")}
        simple = {o for o in owners if not o.startswith("case:")}
        zone = self._zone_of(writer)
        facts = derive_facts(self._events(writer, simple))
        rows: list[ModelRow] = list(rows_of(facts, simple, time_zone=zone))
        # a transfer's case (before and after this change) counts its receipt as an arrival
        cases = {o for o in owners if o.startswith("case:")}
        before = refs_of_owners(writer.connection, "transfer", transfers)
        cases.update(f"case:{ref}" for ref in before.values() if ref)
        cases.update(f"case:{r.ref}" for r in rows if r.kind == "transfer" and r.ref)
        unknown = [c for c in cases if c not in self._transfers_of]
        for case, referrers in writer.referrers_of_keys(unknown).items():
            # a retracted request may stay listed: the fold leaves its events out
            self._transfers_of[case] = {r.stream for r in referrers}
        for case in sorted(cases):
            rows.extend(self._case_rows(writer, case))
        replace_owned(writer.connection, simple | cases, rows)
        set_checkpoint(writer.connection, positions[-1])

    def _events(
        self, writer: Writer, streams: Iterable[str], *, openers_only: bool = False
    ) -> list[Event]:
        """The events of these streams in global order (from the cache where it can);
        with ``openers_only``, of meeting streams only their ``MeetingScheduled`` (a
        meeting's attendance, often dozens of events, is not read for a case)."""
        wanted = set(streams)
        openers = {
            s
            for s in wanted
            if openers_only and s.startswith("meeting:") and s not in self._streams
        }
        missing = sorted(wanted - openers - self._streams.keys())
        if missing:
            for stream in missing:
                self._streams[stream] = []
            for position, event, stream in writer.positioned_events_of_streams(missing):
                self._streams[stream].append((position, event))
                self._cached += 1
        unread = sorted(openers - self._openers.keys())
        if unread:
            for stream in unread:
                self._openers[stream] = []
            for position, event, stream in writer.positioned_events_of_streams(
                unread, types=(MEETING_OPENER,)
            ):
                self._openers[stream].append((position, event))
                self._cached += 1
        merged = sorted(
            pair
            for s in wanted
            for pair in (self._openers[s] if s in openers else self._streams[s])
            if not openers_only or not s.startswith("meeting:") or pair[1].type == MEETING_OPENER
        )
        return [event for _, event in merged]

    def _case_rows(self, writer: Writer, case: str) -> list[ModelRow]:
        """A case's rows, from its stream, its transfers, its meetings and its protocol."""
        transfers = self._transfers_of[case]
        events = self._events(writer, {case, *transfers})
        related = set(_meetings_and_protocol(events))
        if related:
            # of a meeting, a case needs only its cutoff (attendance is the meeting's own)
            events = self._events(writer, {case, *transfers, *related}, openers_only=True)
        return list(rows_of(derive_facts(events), {case}, time_zone=self._zone_of(writer)))

    def _zone_of(self, writer: Writer) -> ZoneInfo:
        if self._zone is None:
            self._zone = network_time_zone(writer.connection)
        return self._zone


def _meetings_and_protocol(events: Sequence[Event]) -> Iterable[str]:
    for event in events:
        data = event.data
        if isinstance(data, CaseListed):
            yield f"protocol:{data.pathway}"
            yield f"meeting:{data.meeting_id}"
        elif isinstance(data, CaseRelisted):
            yield f"meeting:{data.meeting_id}"
