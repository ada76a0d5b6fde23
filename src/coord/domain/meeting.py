"""Stream ``meeting:<meeting_id>``: scheduled, then attendance and technical issues on the
local date of ``scheduled_for``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from coord.domain.streams import Context, StreamRules, local_date, missing_site, named_subject, when
from coord.events import Event
from coord.events.types import AttendanceRecorded, MeetingScheduled


@dataclass(frozen=True, slots=True)
class MeetingState:
    scheduled_at: datetime | None = None
    pathway: str | None = None
    host_site: str | None = None
    scheduled_for: datetime | None = None
    cutoff: datetime | None = None


def evolve(state: MeetingState, event: Event) -> MeetingState:
    data = event.data
    if isinstance(data, MeetingScheduled):
        return MeetingState(
            scheduled_at=event.occurred_at,
            pathway=data.pathway,
            host_site=data.host_site,
            scheduled_for=data.scheduled_for,
            cutoff=data.cutoff,
        )
    return state


def meeting_date(state: MeetingState, tz: ZoneInfo) -> date | None:
    """The local date of the meeting (None before it is scheduled)."""
    return None if state.scheduled_for is None else local_date(state.scheduled_for, tz)


def check(state: MeetingState, event: Event, tz: ZoneInfo) -> str | None:
    if isinstance(event.data, MeetingScheduled):
        if state.scheduled_at is not None:
            return (
                f"{named_subject(event)} is already scheduled (at {when(state.scheduled_at)}); "
                "use a new meeting id"
            )
        scheduled_for, cutoff = event.data.scheduled_for, event.data.cutoff
        if cutoff > scheduled_for:
            return (
                f"{named_subject(event)}: cutoff {when(cutoff)} is after the meeting ({when(scheduled_for)}); "
                "the cutoff must be at or before the meeting"
            )
        return None
    on = meeting_date(state, tz)
    if on is not None and local_date(event.occurred_at, tz) != on:
        what = "attendance" if event.type == "AttendanceRecorded" else "a technical issue"
        return (
            f"{what} at {when(event.occurred_at)} is not on the day of {named_subject(event)} "
            f"({on.isoformat()}, local time); record it against the right meeting"
        )
    return None


def check_links(state: MeetingState, event: Event, ctx: Context) -> str | None:
    if isinstance(event.data, MeetingScheduled):
        return missing_site(ctx, event.data.host_site, "host_site")
    if isinstance(event.data, AttendanceRecorded):
        return missing_site(ctx, event.data.site, "attendee site")
    return None


RULES: StreamRules[MeetingState] = StreamRules(
    kind="meeting",
    opener="MeetingScheduled",
    missing="is not scheduled",
    initial=MeetingState(),
    evolve=evolve,
    check=check,
    check_links=check_links,
)
