"""The coordinator's queries (headless, on SQLite and PostgreSQL): meetings upcoming
first and paged in SQL, a meeting's cases with each item's state at the cutoff and now,
the transfers behind them, a case's actions, the live event-log pages."""

from __future__ import annotations

from datetime import UTC, datetime

from coord.app.event_log import log_page
from coord.app.meetings import (
    case_history,
    meeting_detail,
    meetings_page,
    pathways,
    sites,
    upcoming_meetings,
)
from coord.events.types import (
    ActionAgreed,
    ActionCompleted,
    CaseDeferred,
    CaseDiscussed,
    ItemWaived,
    PatientRegistered,
    TransferChased,
    TransferReceived,
)
from coord.tui.workspace import Workspace

from .conftest import NOW
from .scenario import AT, LATER_MEETING, MEETING, prepare_bladder_meeting

UPCOMING = ["PROS-2024-12-17", MEETING, "KIDN-2024-12-19", "OGST-2024-12-20"]


def test_meetings_upcoming_soonest_first_then_past_most_recent_first(
    workspace: Workspace,
) -> None:
    store = workspace.database.store
    first = meetings_page(store, now=NOW, limit=6)
    assert (first.total, first.upcoming) == (204, 4)
    assert [r.meeting.meeting_id for r in first.rows] == [
        *UPCOMING,
        "OGST-2024-12-13",
        "KIDN-2024-12-12",
    ]
    # a page that starts among the upcoming meetings and runs into the past ones
    page = meetings_page(store, now=NOW, offset=3, limit=3)
    assert [r.meeting.meeting_id for r in page.rows] == [
        "OGST-2024-12-20",
        "OGST-2024-12-13",
        "KIDN-2024-12-12",
    ]
    last = meetings_page(store, now=NOW, offset=202, limit=50)
    assert [r.meeting.meeting_id for r in last.rows] == ["BLAD-2024-01-03", "PROS-2024-01-02"]

    bladder = meetings_page(store, now=NOW, pathway="bladder", limit=3)
    assert bladder.total == 51 and bladder.upcoming == 1
    assert [r.meeting.meeting_id for r in bladder.rows] == [
        MEETING,
        "BLAD-2024-12-11",
        "BLAD-2024-12-04",
    ]
    assert pathways(store) == ["bladder", "kidney", "oesophago-gastric", "prostate"]
    assert [s.site_id for s in sites(store)] == [f"S{n:02}" for n in range(1, 13)]


def test_meeting_counts_listings_ready_discussed_deferred(workspace: Workspace) -> None:
    store = workspace.database.store
    before = meetings_page(store, now=NOW, pathway="bladder", limit=1).rows[0]
    assert (before.listed, before.ready_at_cutoff, before.discussed, before.deferred) == (
        0, 0, 0, 0,
    )  # fmt: skip
    prepare_bladder_meeting(workspace)
    at = datetime(2024, 12, 18, 13, 0, tzinfo=UTC)
    workspace.record(
        CaseDiscussed(case_id="CASE-T3", meeting_id=MEETING, outcome="surgery"), occurred_at=at
    )
    workspace.record(
        CaseDeferred(case_id="CASE-T1", meeting_id=MEETING, reason="missing_information"),
        occurred_at=at,
    )
    summary = meetings_page(store, now=NOW, pathway="bladder", limit=2).rows[0]
    assert summary.meeting.meeting_id == MEETING
    assert (summary.listed, summary.ready_at_cutoff, summary.discussed, summary.deferred) == (
        3, 1, 1, 1,
    )  # fmt: skip
    # the meeting added for relisting is upcoming too, after the first
    later = meetings_page(store, now=NOW, pathway="bladder", limit=2).rows[1]
    assert later.meeting.meeting_id == LATER_MEETING


def test_items_present_missing_or_waived_at_cutoff_and_now_with_their_transfers(
    workspace: Workspace,
) -> None:
    store = workspace.database.store
    prepare_bladder_meeting(workspace)
    after_cutoff = datetime(2024, 12, 17, 9, 0, tzinfo=UTC)  # cutoff: 2024-12-16 12:00
    workspace.record(TransferChased(transfer_id="TR-T1-path"), occurred_at=AT)
    workspace.record(TransferReceived(transfer_id="TR-T2-path"), occurred_at=after_cutoff)
    workspace.record(
        ItemWaived(case_id="CASE-T1", item="pathology_report", reason="seen locally"),
        occurred_at=AT,
    )
    detail = meeting_detail(store, MEETING, now=datetime(2024, 12, 18, 9, 0, tzinfo=UTC))
    assert detail is not None
    cases = {c.case.case_id: c for c in detail.cases}
    assert list(cases) == ["CASE-T1", "CASE-T2", "CASE-T3"]
    t1 = {i.item: i for i in cases["CASE-T1"].items}
    assert (t1["pathology_report"].at_cutoff, t1["pathology_report"].now) == ("waived", "waived")
    (chased,) = t1["pathology_report"].transfers
    assert (chased.state, chased.transfer.chases, chased.transfer.method) == ("requested", 1, "iep")
    t2 = {i.item: i for i in cases["CASE-T2"].items}
    assert (t2["pathology_report"].at_cutoff, t2["pathology_report"].now) == ("missing", "present")
    assert t2["pathology_report"].arrival is not None
    assert t2["pathology_report"].arrival.arrived_by == "transfer"
    (received,) = t2["pathology_report"].transfers
    assert received.state == "received"
    assert received.age_hours(NOW) == (after_cutoff - AT).total_seconds() / 3600
    assert cases["CASE-T2"].missing_at_cutoff == ("pathology_report",)
    assert cases["CASE-T2"].ready_now and not cases["CASE-T2"].listing.ready_at_cutoff
    assert cases["CASE-T3"].listing.ready_at_cutoff
    assert detail.required_items == ("imaging", "pathology_report", "clinical_summary")
    assert meeting_detail(store, "NO-SUCH-MEETING", now=NOW) is None


def test_case_history_actions_and_relisting_targets(workspace: Workspace) -> None:
    store = workspace.database.store
    prepare_bladder_meeting(workspace)
    at = datetime(2024, 12, 18, 13, 0, tzinfo=UTC)
    for action in ("A1", "A2"):
        workspace.record(
            ActionAgreed(
                case_id="CASE-T3",
                action_id=action,
                owner_site="S07",
                description=f"do {action}",
                due=datetime(2025, 1, 10).date(),
            ),
            occurred_at=at,
        )
    workspace.record(ActionCompleted(case_id="CASE-T3", action_id="A1"), occurred_at=at)
    history = case_history(store, "CASE-T3")
    assert [(a.action_id, a.completed) for a in history.actions] == [("A1", True), ("A2", False)]
    assert history.meetings == (MEETING,)
    targets = upcoming_meetings(store, pathway="bladder", after=at, exclude=history.meetings)
    assert [m.meeting_id for m in targets] == [LATER_MEETING]
    assert upcoming_meetings(store, pathway="bladder", after=at, exclude=[LATER_MEETING]) == []


def test_log_pages_newest_first_by_keyset_with_retractions_and_no_nhs_numbers(
    workspace: Workspace,
) -> None:
    store = workspace.database.store
    workspace.record(PatientRegistered(patient_id="PT-NEW", nhs_number="9434765919"))
    first = log_page(store, limit=3)
    assert [e.position for e in first] == [2801, 2800, 2799]
    assert first[0].event.type == "PatientRegistered"
    assert "9434765919" not in first[0].details and "nhs_number=…" in first[0].details
    older = log_page(store, before=first[-1].position, limit=2)
    assert [e.position for e in older] == [2798, 2797]
    everything = []
    before = None
    while page := log_page(store, before=before, limit=1000):
        everything.extend(page)
        before = page[-1].position
    assert [e.position for e in everything] == list(range(2801, 0, -1))
    retracted = [e for e in everything if e.retracted_because]
    assert len(retracted) == 11
    assert "attendance recorded against the wrong meeting" in {
        e.retracted_because for e in retracted
    }
