"""Weekly SMDT meetings: scheduled four weeks ahead, then attendance and technical issues
on the day.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from coord.demo.engine import Emit, Process, Sleep
from coord.demo.network import Pathway
from coord.demo.world import HOUR, MINUTE, Meeting, World
from coord.events.types import (
    AttendanceRecorded,
    MeetingScheduled,
    TechnicalIssueKind,
    TechnicalIssueReported,
)

#: Meetings are scheduled this many days ahead.
SCHEDULE_AHEAD_DAYS = 28
_GROUP_CODES: dict[str, str] = {
    "surgeon": "SUR",
    "oncologist": "ONC",
    "radiologist": "RAD",
    "pathologist": "PAT",
    "cns": "CNS",
    "ahp": "AHP",
    "coordinator": "MDC",
    "navigator": "NAV",
}
_TECHNICAL: tuple[tuple[TechnicalIssueKind, str, float], ...] = (
    ("video_link", "video link to {site} dropped; rejoined after {n} minutes", 5.0),
    ("video_link", "no audio from {site} for {n} minutes", 2.0),
    ("video_link", "{site} could not connect; joined by telephone", 1.5),
    ("remote_access", "images could not be shared to {site} for {n} minutes", 1.5),
    ("other", "room booking clash; meeting started {n} minutes late", 0.5),
)


def meeting_times(world: World, pathway: Pathway, day: date) -> tuple[int, int]:
    cutoff_day, left = day, pathway.cutoff_working_days
    while left:
        cutoff_day -= timedelta(days=1)
        if cutoff_day.weekday() < 5:
            left -= 1
    scheduled = world.at(day, pathway.time)
    return scheduled, min(scheduled, world.at(cutoff_day, pathway.cutoff_time))


def schedule_meetings(world: World, pathway: Pathway) -> Process:
    """Weekly meetings, each scheduled four weeks ahead (the first ones at go-live)."""
    first = world.local(world.start).date() + timedelta(days=7)
    while first.weekday() != pathway.weekday:
        first += timedelta(days=1)
    day = first
    coordinator = world.actor(pathway.host, "mdt_coordinator")
    while True:
        scheduled, cutoff = meeting_times(world, pathway, day)
        planned = world.at(day - timedelta(days=SCHEDULE_AHEAD_DAYS), time(10, 0))
        occurred = max(planned, world.start + 8 * HOUR)
        if occurred > world.end:
            return
        meeting = Meeting(
            meeting_id=f"{pathway.code}-{day.isoformat()}",
            pathway=pathway,
            scheduled_for=scheduled,
            cutoff=cutoff,
            technical_issues=0,
        )
        yield Emit(
            occurred + world.between(0, 20 * MINUTE),
            MeetingScheduled(
                meeting_id=meeting.meeting_id,
                pathway=pathway.name,
                host_site=pathway.host,
                scheduled_for=world.local(scheduled),
                cutoff=world.local(cutoff),
            ),
            coordinator,
            lag=world.between(MINUTE, 15 * MINUTE),
        )
        b = world.net.behaviour
        start, floor = b.technical_issues_start, b.technical_issues_floor
        meeting.technical_issues = world.poisson(
            floor + (start - floor) * world.teething(scheduled)
        )
        world.meetings[pathway.name].append(meeting)
        world.spawn(meeting_day(world, meeting))
        day += timedelta(days=7)


def meeting_day(world: World, meeting: Meeting) -> Process:
    """Attendance (recorded after the meeting) and technical issues, on the day."""
    yield Sleep(meeting.scheduled_for)
    pathway = meeting.pathway
    duration = pathway.duration_minutes * MINUTE
    start = meeting.scheduled_for
    coordinator = world.actor(pathway.host, "mdt_coordinator")
    recorded_after = duration + world.between(5 * MINUTE, 60 * MINUTE)
    sites = [pathway.host, *(s for s in meeting.presenting if s != pathway.host)]
    for site_id in sites:
        host = site_id == pathway.host
        site = world.sites[site_id]
        chances = dict(world.net.attendance_host if host else world.net.attendance_remote)
        for group, pool in site.staff:
            p = chances.get(group, 0.0)
            for n in range(1, pool + 1):
                if not world.chance(p):
                    continue
                joined = world.between(0, 10 * MINUTE) if host else world.between(0, duration // 2)
                if host:
                    minutes = (duration - joined) // MINUTE - world.between(0, 20)
                else:
                    minutes = world.between(10, 60)
                if meeting.technical_issues and not host and world.chance(0.1):
                    minutes = 0  # could not connect
                yield Emit(
                    start + joined,
                    AttendanceRecorded(
                        meeting_id=meeting.meeting_id,
                        attendee_id=f"{site_id}-{_GROUP_CODES[group]}{n:02d}",
                        site=site_id,
                        professional_group=group,
                        minutes_present=max(0, minutes),
                    ),
                    coordinator,
                    lag=recorded_after - joined,
                )
    remote = sites[1:] or [pathway.host]
    for _ in range(meeting.technical_issues):
        kind, note, _w = world.rng.choices(_TECHNICAL, [w for *_, w in _TECHNICAL])[0]
        at = start + world.between(5 * MINUTE, duration - 10 * MINUTE)
        yield Emit(
            at,
            TechnicalIssueReported(
                meeting_id=meeting.meeting_id,
                kind=kind,
                note=note.format(site=world.rng.choice(remote), n=world.between(3, 25)),
            ),
            coordinator,
            lag=world.between(2 * MINUTE, 30 * MINUTE),
        )
