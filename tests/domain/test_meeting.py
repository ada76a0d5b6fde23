"""SMDT meetings (SPEC §4): scheduling, attendance and technical issues."""

from __future__ import annotations

from .builders import World, ev, meeting


def attendance(at: str, meeting_id: str = "M1", site: str = "S2") -> object:
    return ev(
        "AttendanceRecorded",
        at,
        meeting_id=meeting_id,
        attendee_id="dr-a",
        site=site,
        professional_group="radiologist",
        minutes_present=30,
    )


def issue(at: str, meeting_id: str = "M1") -> object:
    return ev("TechnicalIssueReported", at, meeting_id=meeting_id, kind="video_link")


def test_meeting_scheduled_accepted(world: World) -> None:
    world.accepts(meeting("M9", "2024-04-01T10:00Z", cutoff="2024-03-30T10:00Z"))


def test_meeting_scheduled_twice_is_rejected(world: World) -> None:
    assert "already scheduled" in world.rejects(meeting("M1", "2024-04-01T10:00Z"))


def test_meeting_cutoff_after_scheduled_for_is_rejected(world: World) -> None:
    reason = world.rejects(meeting("M9", "2024-04-01T10:00Z", cutoff="2024-04-01T10:01Z"))
    assert "cutoff" in reason


def test_meeting_cutoff_equal_to_scheduled_for_accepted(world: World) -> None:
    world.accepts(meeting("M9", "2024-04-01T10:00Z", cutoff="2024-04-01T10:00Z"))


def test_meeting_host_site_must_exist_is_rejected(world: World) -> None:
    event = ev(
        "MeetingScheduled",
        "2024-01-02T00:00Z",
        meeting_id="M9",
        pathway="prostate",
        host_site="S9",
        scheduled_for="2024-04-01T10:00Z",
        cutoff="2024-04-01T10:00Z",
    )
    assert "host_site S9" in world.rejects(event)


def test_attendance_on_meeting_local_date_accepted(world: World) -> None:
    world.accepts(attendance("2024-03-05T00:00Z"))
    world.accepts(attendance("2024-03-05T23:59Z"))


def test_attendance_not_on_meeting_local_date_is_rejected(world: World) -> None:
    assert "not on the day of meeting M1" in world.rejects(attendance("2024-03-04T23:59Z"))


def test_attendance_for_unscheduled_meeting_is_rejected(world: World) -> None:
    assert "meeting M9 is not scheduled" in world.rejects(attendance("2024-03-05T10:00Z", "M9"))


def test_attendance_site_must_exist_is_rejected(world: World) -> None:
    assert "S9" in world.rejects(attendance("2024-03-05T10:00Z", site="S9"))


def test_attendance_local_date_in_summer_uses_london_time(world: World) -> None:
    world.add(meeting("MS", "2024-07-02T09:00Z", at="2024-06-01T00:00Z"))
    # 23:30 UTC on 1 July is 00:30 on 2 July in London (BST)
    world.accepts(attendance("2024-07-01T23:30Z", "MS"))
    assert "not on the day" in world.rejects(attendance("2024-07-02T23:30Z", "MS"))


def test_technical_issue_on_meeting_local_date_accepted(world: World) -> None:
    world.accepts(issue("2024-03-05T10:30Z"))


def test_technical_issue_not_on_meeting_local_date_is_rejected(world: World) -> None:
    assert "technical issue" in world.rejects(issue("2024-03-06T10:30Z"))


def test_meeting_event_before_scheduling_is_rejected(world: World) -> None:
    # a meeting scheduled after its own day (odd but allowed) takes no earlier event
    world.add(meeting("ML", "2024-05-01T10:00Z", at="2024-05-01T12:00Z"))
    assert "before meeting ML was opened" in world.rejects(issue("2024-05-01T11:00Z", "ML"))
