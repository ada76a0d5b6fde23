"""Derived facts (SPEC §5): the fact records the reports and the gaps query read,
derived from the log.

:func:`derive_facts` handles retractions by first collecting the ids that every
``EventRetracted`` targets (a retraction may come long after its target), then folding
the other events in global order (:class:`~coord.reports.fold.FactBuilder`), then
deriving the cross-stream facts from the folded state (:func:`facts_of`): a case's
required items (its protocol in force), the items available at each discussion or
deferral, and whether each listing was ready at its meeting's cutoff. Availability is
judged on ``occurred_at`` against the whole folded log, so late-logged facts count.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from coord.domain.protocol import protocol_in_force
from coord.events import Event
from coord.events.records import made_as
from coord.events.types import EventRetracted
from coord.reports.fold import FactBuilder
from coord.reports.records import (
    Arrival,
    Case,
    Deferral,
    Discussion,
    Handover,
    Listing,
    Meeting,
    Referral,
    Transfer,
)


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the reports and the gaps query read; steps in global order."""

    cases: Mapping[str, Case]
    listings: tuple[Listing, ...]
    discussions: tuple[Discussion, ...]
    deferrals: tuple[Deferral, ...]
    #: the first availability of each (case_id, item), at any time
    arrivals: Mapping[tuple[str, str], Arrival]
    transfers: Mapping[str, Transfer]
    handovers: Mapping[str, Handover]
    referrals: Mapping[str, Referral]
    meetings: Mapping[str, Meeting]

    def available(self, case_id: str, item: str, at: datetime) -> bool:
        """SPEC §5: a non-retracted ``ItemReceived``/``ItemWaived`` for (case, item), or
        ``TransferReceived`` of a transfer requested for them, occurred at or before ``at``."""
        arrival = self.arrivals.get((case_id, item))
        return arrival is not None and arrival.arrived_at <= at


#: the records the facts derive, made without ``object.__setattr__`` for each field
_CASE = made_as(Case)
_LISTING = made_as(Listing)
_DISCUSSION = made_as(Discussion)
_DEFERRAL = made_as(Deferral)


def retracted_ids(events: Iterable[Event]) -> frozenset[str]:
    """The ids of the events that an ``EventRetracted`` among ``events`` targets."""
    return frozenset(e.data.event_id for e in events if isinstance(e.data, EventRetracted))


def derive_facts(events: Iterable[Event]) -> Facts:
    """The facts of a log given in global order: retracted events (and the retractions
    themselves) are left out, the rest folded in order."""
    log = list(events)
    return fold_facts(log, retracted_ids(log))


def fold_facts(events: Iterable[Event], retracted: Collection[str]) -> Facts:
    """:func:`derive_facts` when the retracted ids are already known: the events are
    folded as they come, so a log read from the store is never held whole."""
    builder = FactBuilder()
    for event in events:
        if event.event_id not in retracted and not isinstance(event.data, EventRetracted):
            builder.apply(event)
    return facts_of(builder)


def case_of(state: FactBuilder, case_id: str) -> Case | None:
    """The case with its required items: those of the protocol in force at its
    ``CaseListed`` (the highest non-retracted version occurring at or before it)."""
    listed = state.cases.get(case_id)
    if listed is None:
        return None
    at = state.listed_at[case_id]
    protocol = protocol_in_force(state.protocols.get(listed.pathway, ()), at)
    return _CASE(
        case_id=case_id,
        patient_id=listed.patient_id,
        pathway=listed.pathway,
        presenting_site=listed.presenting_site,
        listed_at=at,
        required_items=protocol.required_items if protocol else (),
        protocol_version=protocol.version if protocol else None,
    )


def facts_of(state: FactBuilder) -> Facts:
    """Derive the cross-stream facts from a folded state.

    One pass per kind of step, each item's availability looked up directly (this runs
    for every row a rebuild writes, and for every subject the projector touches)."""
    cases = {case_id: c for case_id in state.cases if (c := case_of(state, case_id))}
    arrivals = dict(state.arrivals)
    meetings = dict(state.meetings)
    arrival_of = arrivals.get
    case_of_step = cases.get
    listings: list[Listing] = []
    for step in state.listings:
        case = case_of_step(step.case_id)
        if case is None:
            continue
        # ready: every required item available at the meeting's cutoff (also for a
        # listing made after the cutoff)
        meeting = meetings.get(step.meeting_id)
        ready = meeting is not None
        if ready:
            cutoff = meeting.cutoff  # type: ignore[union-attr]
            case_id = case.case_id
            for item in case.required_items:
                arrival = arrival_of((case_id, item))
                if arrival is None or arrival.arrived_at > cutoff:
                    ready = False
                    break
        listings.append(
            _LISTING(
                case_id=case.case_id,
                meeting_id=step.meeting_id,
                kind="listed" if step.kind == "listed" else "relisted",
                occurred_at=step.occurred_at,
                pathway=case.pathway,
                presenting_site=case.presenting_site,
                required_items=case.required_items,
                ready_at_cutoff=ready,
            )
        )
    discussions: list[Discussion] = []
    deferrals: list[Deferral] = []
    for step in state.endings:
        case = case_of_step(step.case_id)
        if case is None:
            continue
        at, case_id = step.occurred_at, case.case_id
        available = []
        for item in case.required_items:
            arrival = arrival_of((case_id, item))
            if arrival is not None and arrival.arrived_at <= at:
                available.append(item)
        if step.kind == "discussed":
            discussions.append(
                _DISCUSSION(
                    case_id=case_id,
                    meeting_id=step.meeting_id,
                    patient_id=case.patient_id,
                    pathway=case.pathway,
                    presenting_site=case.presenting_site,
                    occurred_at=at,
                    required_items=case.required_items,
                    available_items=tuple(available),
                )
            )
        else:
            deferrals.append(
                _DEFERRAL(
                    case_id=case_id,
                    meeting_id=step.meeting_id,
                    patient_id=case.patient_id,
                    pathway=case.pathway,
                    presenting_site=case.presenting_site,
                    occurred_at=at,
                    reason=step.reason,
                    required_items=case.required_items,
                    available_items=tuple(available),
                )
            )
    return Facts(
        cases=cases,
        listings=tuple(listings),
        discussions=tuple(discussions),
        deferrals=tuple(deferrals),
        arrivals=arrivals,
        transfers=dict(state.transfers),
        handovers=dict(state.handovers),
        referrals=dict(state.referrals),
        meetings=meetings,
    )
