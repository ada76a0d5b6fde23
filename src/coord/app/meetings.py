"""What the MDT coordinator's screens show: meetings by pathway and date (upcoming
first, paged in SQL), a meeting's cases with each required item present, missing or
waived at the cutoff and now, and the transfers behind each item.

Everything comes from the read models the projections keep (the reports' own fold:
listings, readiness at cutoff, first arrivals, transfers; read by
:mod:`coord.store.meeting_lists` and :mod:`coord.store.readmodels`), and from a case's
own stream for what the read models do not hold (actions, outcomes). Nothing here loads
every row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from coord.events import Event
from coord.events.types import (
    ActionAgreed,
    ActionCompleted,
    CaseDiscussed,
    EventRetracted,
    OutcomeCommunicated,
    SiteRegistered,
)
from coord.projections.codec import from_payload
from coord.reports import Facts
from coord.reports.records import (
    Arrival,
    Case,
    Listing,
    Meeting,
    Transfer,
)
from coord.store import meeting_lists
from coord.store.log import EventStore, LogSession
from coord.store.readmodels import payloads_by_owner, payloads_by_ref
from coord.store.streams import streams_of_kind

ItemState = Literal["present", "missing", "waived"]
CaseState = Literal["open", "discussed", "deferred"]
TransferState = Literal["requested", "sent", "received", "failed"]


# --- meetings ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeetingSummary:
    """A meeting with counts of what happened to the cases listed for it."""

    meeting: Meeting
    listed: int
    ready_at_cutoff: int
    discussed: int
    deferred: int


@dataclass(frozen=True, slots=True)
class MeetingsPage:
    rows: tuple[MeetingSummary, ...]
    #: meetings matching the filter (upcoming and past)
    total: int
    upcoming: int


def meetings_page(
    store: EventStore,
    *,
    now: datetime,
    pathway: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> MeetingsPage:
    """Meetings (of ``pathway``, when given) upcoming first — the soonest first — then past
    ones, the most recent first; ``limit`` of them from ``offset``."""
    with store.reading() as reader:
        conn = reader.connection
        upcoming, past = meeting_lists.count_meetings(conn, pathway=pathway, now=now)
        payloads: list[dict[str, Any]] = []
        if offset < upcoming:
            payloads += meeting_lists.upcoming_meeting_payloads(
                conn, pathway=pathway, now=now, offset=offset, limit=limit
            )
        if len(payloads) < limit:
            payloads += meeting_lists.past_meeting_payloads(
                conn,
                pathway=pathway,
                now=now,
                offset=max(0, offset - upcoming),
                limit=limit - len(payloads),
            )
        meetings = [from_payload(Meeting, p) for p in payloads]
        counts = meeting_lists.case_counts(conn, [m.meeting_id for m in meetings])
    rows = tuple(_summary(m, counts.get(m.meeting_id)) for m in meetings)
    return MeetingsPage(rows, upcoming + past, upcoming)


def _summary(meeting: Meeting, counts: meeting_lists.CaseCounts | None) -> MeetingSummary:
    c = counts or meeting_lists.CaseCounts()
    return MeetingSummary(meeting, c.listed, c.ready_at_cutoff, c.discussed, c.deferred)


def find_meeting(store: EventStore, meeting_id: str) -> Meeting | None:
    with store.reading() as reader:
        found = payloads_by_owner(reader.connection, "meeting", [f"meeting:{meeting_id}"])
    return from_payload(Meeting, found[0]) if found else None


def upcoming_meetings(
    store: EventStore,
    *,
    pathway: str,
    after: datetime,
    exclude: Iterable[str] = (),
    limit: int = 20,
) -> list[Meeting]:
    """The next meetings of ``pathway`` scheduled after ``after`` (for a relisting)."""
    excluded = set(exclude)
    with store.reading() as reader:
        payloads = meeting_lists.meeting_payloads_after(
            reader.connection, pathway=pathway, after=after, limit=limit + len(excluded)
        )
    meetings = [from_payload(Meeting, p) for p in payloads]
    return [m for m in meetings if m.meeting_id not in excluded][:limit]


# --- a meeting's cases -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransferStatus:
    transfer: Transfer

    @property
    def state(self) -> TransferState:
        t = self.transfer
        if t.received_at is not None:
            return "received"
        if t.failed_at is not None:
            return "failed"
        return "sent" if t.sent_at is not None else "requested"

    def age_hours(self, now: datetime) -> float:
        """Hours since the request (to receipt or failure once closed)."""
        t = self.transfer
        end = t.received_at or t.failed_at or now
        return (end - t.requested_at).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class ItemStatus:
    """One required item of a case: present, missing or waived at the meeting's cutoff
    and now, how it first arrived, and the transfers requested for it."""

    item: str
    at_cutoff: ItemState
    now: ItemState
    arrival: Arrival | None
    transfers: tuple[TransferStatus, ...]


@dataclass(frozen=True, slots=True)
class CaseReadiness:
    case: Case
    listing: Listing
    state: CaseState
    items: tuple[ItemStatus, ...]
    #: transfers for this case of items no protocol requires
    other_transfers: tuple[TransferStatus, ...]

    @property
    def ready_now(self) -> bool:
        return all(i.now != "missing" for i in self.items)

    @property
    def missing_now(self) -> tuple[str, ...]:
        return tuple(i.item for i in self.items if i.now == "missing")

    @property
    def missing_at_cutoff(self) -> tuple[str, ...]:
        return tuple(i.item for i in self.items if i.at_cutoff == "missing")


@dataclass(frozen=True, slots=True)
class MeetingDetail:
    meeting: Meeting
    cases: tuple[CaseReadiness, ...]

    @property
    def required_items(self) -> tuple[str, ...]:
        """Every item some listed case requires, in first-seen order."""
        return tuple(dict.fromkeys(i.item for c in self.cases for i in c.items))


def _state(facts: Facts, case_id: str, item: str, at: datetime) -> ItemState:
    if not facts.available(case_id, item, at):
        return "missing"
    arrival = facts.arrivals[(case_id, item)]
    return "waived" if arrival.arrived_by == "waived" else "present"


def meeting_detail(store: EventStore, meeting_id: str, *, now: datetime) -> MeetingDetail | None:
    """The cases listed for a meeting (in listing order) with their readiness."""
    with store.reading() as reader:
        conn = reader.connection
        found = payloads_by_owner(conn, "meeting", [f"meeting:{meeting_id}"])
        if not found:
            return None
        meeting = from_payload(Meeting, found[0])
        listings = [
            from_payload(Listing, p)
            for p in payloads_by_ref(conn, "listing", [meeting_id])
            if p["meeting_id"] == meeting_id
        ]
        owners = {f"case:{x.case_id}" for x in listings}
        case_ids = {x.case_id for x in listings}
        cases = {
            c.case_id: c
            for c in (from_payload(Case, p) for p in payloads_by_owner(conn, "case", owners))
        }
        arrivals = {
            (a.case_id, a.item): a
            for a in (from_payload(Arrival, p) for p in payloads_by_owner(conn, "arrival", owners))
        }
        transfers = [from_payload(Transfer, p) for p in payloads_by_ref(conn, "transfer", case_ids)]
        discussed = meeting_lists.cases_naming(conn, "discussion", meeting_id)
        deferred = meeting_lists.cases_naming(conn, "deferral", meeting_id)
    facts = Facts(
        cases=cases,
        listings=tuple(listings),
        discussions=(),
        deferrals=(),
        arrivals=arrivals,
        transfers={t.transfer_id: t for t in transfers},
        handovers={},
        referrals={},
        meetings={meeting_id: meeting},
    )
    by_case: dict[str, list[Transfer]] = {}
    for transfer in sorted(transfers, key=lambda t: (t.requested_at, t.transfer_id)):
        by_case.setdefault(transfer.case_id or "", []).append(transfer)
    rows: list[CaseReadiness] = []
    for listing in sorted(listings, key=lambda x: (x.occurred_at, x.case_id)):
        case = cases.get(listing.case_id)
        if case is None:
            continue
        of_case = by_case.get(case.case_id, [])
        items = tuple(
            ItemStatus(
                item=item,
                at_cutoff=_state(facts, case.case_id, item, meeting.cutoff),
                now=_state(facts, case.case_id, item, now),
                arrival=arrivals.get((case.case_id, item)),
                transfers=tuple(TransferStatus(t) for t in of_case if t.item == item),
            )
            for item in case.required_items
        )
        state: CaseState = (
            "discussed"
            if case.case_id in discussed
            else "deferred"
            if case.case_id in deferred
            else "open"
        )
        others = tuple(TransferStatus(t) for t in of_case if t.item not in case.required_items)
        rows.append(CaseReadiness(case, listing, state, items, others))
    return MeetingDetail(meeting, tuple(rows))


# --- a case's own stream: actions and outcomes -------------------------------------------


@dataclass(frozen=True, slots=True)
class ActionStatus:
    action_id: str
    owner_site: str
    description: str
    due: str
    completed: bool


@dataclass(frozen=True, slots=True)
class CaseHistory:
    """What the read models do not hold of a case: actions, outcomes, communications,
    and the meetings it has been listed for."""

    actions: tuple[ActionStatus, ...]
    outcomes: tuple[tuple[str, str], ...]  # (meeting_id, outcome)
    communicated_to: tuple[str, ...]
    meetings: tuple[str, ...]


def live_events(session: LogSession, stream: str) -> list[Event]:
    """A stream's events without retractions and the events they retract."""
    stored = session.stream_events(stream)
    retracted = {e.data.event_id for e in stored if isinstance(e.data, EventRetracted)}
    return [
        e for e in stored if not isinstance(e.data, EventRetracted) and e.event_id not in retracted
    ]


def case_history(store: EventStore, case_id: str) -> CaseHistory:
    with store.reading() as reader:
        stream = live_events(reader, f"case:{case_id}")
    actions: dict[str, ActionStatus] = {}
    outcomes: list[tuple[str, str]] = []
    told: list[str] = []
    meetings: list[str] = []
    for event in stream:
        data = event.data
        if isinstance(data, ActionAgreed):
            actions[data.action_id] = ActionStatus(
                data.action_id, data.owner_site, data.description, data.due.isoformat(), False
            )
        elif isinstance(data, ActionCompleted) and data.action_id in actions:
            done = actions[data.action_id]
            actions[data.action_id] = ActionStatus(
                done.action_id, done.owner_site, done.description, done.due, True
            )
        elif isinstance(data, CaseDiscussed):
            outcomes.append((data.meeting_id, data.outcome))
        elif isinstance(data, OutcomeCommunicated):
            told.append(data.to_site)
        meeting_id = getattr(data, "meeting_id", None)
        if event.type in ("CaseListed", "CaseRelisted") and isinstance(meeting_id, str):
            meetings.append(meeting_id)
    return CaseHistory(tuple(actions.values()), tuple(outcomes), tuple(told), tuple(meetings))


# --- the network's reference data ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Site:
    site_id: str
    name: str


def sites(store: EventStore) -> list[Site]:
    """The registered (non-retracted) sites, by id."""
    found: list[Site] = []
    with store.reading() as reader:
        for stream in streams_of_kind(reader.connection, "site"):
            for event in live_events(reader, stream):
                if isinstance(event.data, SiteRegistered):
                    found.append(Site(event.data.site_id, event.data.name))
    return found


def pathways(store: EventStore) -> list[str]:
    """The pathways that have a protocol published."""
    with store.reading() as reader:
        return [s.partition(":")[2] for s in streams_of_kind(reader.connection, "protocol")]
