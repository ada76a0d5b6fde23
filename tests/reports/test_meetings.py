"""``meetings``: listings, readiness at cutoff, endings, technical issues, presence."""

from __future__ import annotations

from .builders import attendance, ev, listed, meeting, protocol, received, retract, rows, run
from .scenario import smdt_events


def test_listings_ready_at_cutoff_and_endings_per_meeting() -> None:
    report = run(smdt_events(), "meetings")
    assert report["by"] == "meeting_id"
    assert rows(report) == {
        "M1": {
            "meetings": 1,
            "listings": 1,
            "ready_at_cutoff": 0,  # C1's pathology arrived after M1's cutoff
            "discussed": 0,
            "deferred": 1,
            "technical_issues": 0,
            "sites_present": 0,
            "groups_present": 0,
        },
        "M2": {
            "meetings": 1,
            "listings": 3,
            "ready_at_cutoff": 1,  # C1 (relisted) only
            "discussed": 3,
            "deferred": 0,
            "technical_issues": 0,
            "sites_present": 0,
            "groups_present": 0,
        },
    }
    assert report["total"]["listings"] == 4


def test_a_listing_made_after_the_cutoff_is_judged_at_the_cutoff() -> None:
    events = [
        protocol("prostate", 1, ["imaging"]),
        meeting("M1", "2024-03-05T10:00Z", "2024-03-04T12:00Z"),
        meeting("M2", "2024-03-12T10:00Z", "2024-03-11T12:00Z"),
        received("C1", "imaging", "2024-03-04T11:00Z"),
        listed("C1", "M1", "2024-03-04T16:00Z"),  # listed after the cutoff
        listed("C2", "M2", "2024-03-01T09:00Z"),
        received("C2", "imaging", "2024-03-11T12:00:01Z"),  # a second late
    ]
    assert rows(run(events, "meetings"))["M1"]["ready_at_cutoff"] == 1
    assert rows(run(events, "meetings"))["M2"]["ready_at_cutoff"] == 0


def test_sites_and_groups_present_and_technical_issues() -> None:
    day = "2024-03-05T10:30Z"
    dropped = attendance("M1", day, "S4", "oncologist", 30)
    events = [
        meeting("M1", "2024-03-05T10:00Z", "2024-03-04T12:00Z", host_site="S1"),
        meeting("M2", "2024-03-12T10:00Z", "2024-03-11T12:00Z", host_site="S1"),
        meeting("K1", "2024-03-06T10:00Z", "2024-03-05T12:00Z", host_site="S5", pathway="kidney"),
        attendance("M1", day, "S1", "surgeon", 60),
        attendance("M1", day, "S1", "radiologist"),  # no minutes given: present
        attendance("M1", day, "S2", "surgeon", 45),
        attendance("M1", day, "S3", "ahp", 0),  # minutes_present 0: not present
        dropped,
        retract(dropped, "2024-03-05T12:00Z"),
        attendance("M2", "2024-03-12T10:30Z", "S2", "cns", 10),
        ev("TechnicalIssueReported", day, meeting_id="M1", kind="video_link"),
        ev("TechnicalIssueReported", day, meeting_id="M1", kind="other", note="audio"),
    ]
    by_meeting = rows(run(events, "meetings"))
    assert by_meeting["M1"]["sites_present"] == 2  # S1, S2
    assert by_meeting["M1"]["groups_present"] == 2  # surgeon, radiologist
    assert by_meeting["M1"]["technical_issues"] == 2
    assert by_meeting["K1"]["sites_present"] == 0
    by_host = rows(run(events, "meetings", by="host_site"))
    assert by_host["S1"]["meetings"] == 2
    assert by_host["S1"]["sites_present"] == 3  # summed over meetings: 2 + 1
    assert by_host["S1"]["groups_present"] == 3
    assert by_host["S5"]["meetings"] == 1
    assert list(rows(run(events, "meetings", by="pathway"))) == ["kidney", "prostate"]


def test_meetings_are_placed_by_the_local_date_of_scheduled_for() -> None:
    events = [meeting("LATE", "2024-06-30T23:30Z", "2024-06-29T12:00Z")]  # 00:30 BST, 1 July
    assert list(rows(run(events, "meetings", by="month"))) == ["2024-07"]
    assert run(events, "meetings", start="2024-06-01", end="2024-07-01")["rows"] == []
    empty = run(events, "meetings", start="2024-06-01", end="2024-07-01")["total"]
    assert empty == {
        "key": None,
        "meetings": 0,
        "listings": 0,
        "ready_at_cutoff": 0,
        "discussed": 0,
        "deferred": 0,
        "technical_issues": 0,
        "sites_present": 0,
        "groups_present": 0,
    }
