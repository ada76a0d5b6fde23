"""Figures computed straight from a generated log (no reports needed), for the trend tests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from coord.events import Event
from coord.events.types import (
    AttendanceRecorded,
    CaseDiscussed,
    CaseListed,
    EventRetracted,
    ItemReceived,
    ItemWaived,
    MeetingScheduled,
    ProtocolPublished,
    ReferralMade,
    TransferRequested,
)

LONDON = ZoneInfo("Europe/London")


def live(events: Sequence[Event]) -> list[Event]:
    """The events that are neither retractions nor retracted."""
    retracted = {e.data.event_id for e in events if isinstance(e.data, EventRetracted)}
    return [e for e in events if e.type != "EventRetracted" and e.event_id not in retracted]


def month_index(at: datetime, start: date) -> int:
    local = at.astimezone(LONDON).date()
    return (local.year - start.year) * 12 + local.month - start.month


@dataclass
class Figures:
    #: per month: [discussions, complete discussions]
    completeness: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    #: per month: [meetings, technical issues]
    technical: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    #: professional group -> meetings at which someone of it was present
    meetings_with: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: professional group -> (meeting, joining site) pairs at which it was present, counting
    #: only sites other than the host (cross-site attendance)
    remote_presence: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    received_days: list[int] = field(default_factory=list)
    protocol_versions: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def share_complete(self, months: Sequence[int]) -> float:
        total = sum(self.completeness[m][0] for m in months)
        return sum(self.completeness[m][1] for m in months) / total

    def issues_per_meeting(self, months: Sequence[int]) -> float:
        meetings = sum(self.technical[m][0] for m in months)
        return sum(self.technical[m][1] for m in months) / meetings


def figures(events: Sequence[Event], start: date) -> Figures:
    """Completeness, technical issues, attendance and referral clocks (SPEC §5's meanings),
    ignoring retracted events."""
    out = Figures()
    events = live(events)
    protocols: dict[str, list[tuple[datetime, int, tuple[str, ...]]]] = defaultdict(list)
    case_items: dict[str, tuple[str, ...]] = {}
    available: dict[tuple[str, str], datetime] = {}
    transfers: dict[str, tuple[str, str]] = {}
    meetings: dict[str, datetime] = {}
    present: dict[str, set[str]] = defaultdict(set)
    hosts: dict[str, str] = {}
    remote: dict[str, set[tuple[str, str]]] = defaultdict(set)
    made: dict[str, date] = {}
    discussions: list[tuple[str, datetime]] = []

    def arrive(case_id: str, item: str, at: datetime) -> None:
        key = (case_id, item)
        if key not in available or at < available[key]:
            available[key] = at

    for event in events:
        data = event.data
        if isinstance(data, ProtocolPublished):
            protocols[data.pathway].append(
                (event.occurred_at, data.version, tuple(data.required_items))
            )
            out.protocol_versions[data.pathway].append(data.version)
        elif isinstance(data, CaseListed):
            in_force = [p for p in protocols[data.pathway] if p[0] <= event.occurred_at]
            case_items[data.case_id] = max(in_force, key=lambda p: p[1])[2]
        elif isinstance(data, ItemReceived | ItemWaived):
            arrive(data.case_id, data.item, event.occurred_at)
        elif isinstance(data, TransferRequested) and data.case_id is not None:
            transfers[data.transfer_id] = (data.case_id, data.item)
        elif event.type == "TransferReceived":
            transfer = transfers.get(event.subject)
            if transfer is not None:
                arrive(*transfer, event.occurred_at)
        elif isinstance(data, CaseDiscussed):
            discussions.append((data.case_id, event.occurred_at))
        elif isinstance(data, MeetingScheduled):
            meetings[data.meeting_id] = data.scheduled_for
            hosts[data.meeting_id] = data.host_site
            out.technical[month_index(data.scheduled_for, start)][0] += 1
        elif event.type == "TechnicalIssueReported":
            out.technical[month_index(meetings[event.subject], start)][1] += 1
        elif isinstance(data, AttendanceRecorded):
            if data.minutes_present is None or data.minutes_present > 0:
                present[data.professional_group].add(data.meeting_id)
                if data.site != hosts[data.meeting_id]:
                    remote[data.professional_group].add((data.meeting_id, data.site))
        elif isinstance(data, ReferralMade):
            made[data.referral_id] = data.clock_start
        elif event.type == "ReferralReceived":
            local = event.occurred_at.astimezone(LONDON).date()
            out.received_days.append((local - made[event.subject]).days)
    for case_id, at in discussions:
        row = out.completeness[month_index(at, start)]
        row[0] += 1
        items = case_items[case_id]
        if all((case_id, i) in available and available[(case_id, i)] <= at for i in items):
            row[1] += 1
    for group, ids in present.items():
        out.meetings_with[group] = len(ids)
    for group, pairs in remote.items():
        out.remote_presence[group] = len(pairs)
    return out
