"""``coord report meetings`` (SPEC §6): SMDT meetings scheduled in the period (local
date of ``scheduled_for``), what was listed for them and ready at the cutoff, what was
discussed or deferred, technical issues, and which sites and professional groups were
present."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.reports.facts import Facts
from coord.reports.model import Report, Row, assemble, check_by, key_by
from coord.reports.periods import Period
from coord.reports.records import Meeting

NAME = "meetings"
BY_KEYS = ("meeting_id", "host_site", "pathway", "month")
DEFAULT_BY = "meeting_id"


class MeetingsRow(Row):
    meetings: int
    listings: int
    ready_at_cutoff: int
    discussed: int
    deferred: int
    technical_issues: int
    sites_present: int
    groups_present: int


MeetingsReport = Report[MeetingsRow]


@dataclass(frozen=True, slots=True)
class _MeetingCounts:
    meeting: Meeting
    listings: int
    ready_at_cutoff: int
    discussed: int
    deferred: int


def meetings_report(
    facts: Facts,
    period: Period,
    by: str,
    time_zone: ZoneInfo,
    *,
    as_of: datetime | None = None,
) -> MeetingsReport:
    check_by(NAME, by, BY_KEYS)
    counts = MeetingSteps(
        listings=Counter(listing.meeting_id for listing in facts.listings),
        ready_at_cutoff=Counter(
            listing.meeting_id for listing in facts.listings if listing.ready_at_cutoff
        ),
        discussed=Counter(d.meeting_id for d in facts.discussions),
        deferred=Counter(d.meeting_id for d in facts.deferrals),
    )
    return meetings_from_steps(facts.meetings.values(), counts, period, by, time_zone, as_of)


@dataclass(frozen=True, slots=True)
class MeetingSteps:
    """The listings (and those ready at the cutoff), discussions and deferrals naming
    each meeting, by meeting id."""

    listings: Mapping[str, int]
    ready_at_cutoff: Mapping[str, int]
    discussed: Mapping[str, int]
    deferred: Mapping[str, int]


def meetings_from_steps(
    meetings: Iterable[Meeting],
    steps: MeetingSteps,
    period: Period,
    by: str,
    time_zone: ZoneInfo,
    as_of: datetime | None = None,
) -> MeetingsReport:
    """The report over ``meetings`` (those scheduled in the period count), given the steps
    naming them."""
    check_by(NAME, by, BY_KEYS)
    population = [
        _MeetingCounts(
            meeting=m,
            listings=steps.listings.get(m.meeting_id, 0),
            ready_at_cutoff=steps.ready_at_cutoff.get(m.meeting_id, 0),
            discussed=steps.discussed.get(m.meeting_id, 0),
            deferred=steps.deferred.get(m.meeting_id, 0),
        )
        for m in meetings
        if period.holds(m.scheduled_for, time_zone)
    ]

    key_of: Callable[[_MeetingCounts], tuple[str]] = key_by(
        by, time_zone, lambda c: c.meeting.scheduled_for, subject=lambda c: c.meeting
    )

    return assemble(MeetingsReport, NAME, period, by, as_of, population, key_of, _row)


def _row(key: str | None, members: list[_MeetingCounts]) -> MeetingsRow:
    return MeetingsRow(
        key=key,
        meetings=len(members),
        listings=sum(m.listings for m in members),
        ready_at_cutoff=sum(m.ready_at_cutoff for m in members),
        discussed=sum(m.discussed for m in members),
        deferred=sum(m.deferred for m in members),
        technical_issues=sum(m.meeting.technical_issues for m in members),
        sites_present=sum(len(m.meeting.sites_present) for m in members),
        groups_present=sum(len(m.meeting.groups_present) for m in members),
    )
