"""The MDT coordinator's workflows, driven from the keyboard end to end against a real
database: each asserts the events appended (read back from the store, with the actor)
and what the screen then shows."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.pilot import Pilot
from textual.widgets import DataTable

from coord.tui.coordinator import MeetingsScreen
from coord.tui.coordinator_meeting import MeetingScreen
from coord.tui.forms import FormScreen
from coord.tui.workspace import Workspace

from .conftest import ACTOR, AppFactory, Clock, events_since, settle, type_text
from .scenario import LATER_MEETING, MEETING, prepare_bladder_meeting


def rows(pilot: Pilot[None], table_id: str) -> list[list[str]]:
    table: DataTable[str] = pilot.app.screen.query_one(table_id, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def open_meeting(pilot: Pilot[None], meeting_id: str) -> MeetingScreen:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, MeetingsScreen)
    index = [r.meeting.meeting_id for r in screen.rows].index(meeting_id)
    await pilot.press(*["down"] * index, "enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, MeetingScreen)
    return pilot.app.screen


async def submit(pilot: Pilot[None]) -> None:
    """Record the open form (ctrl+s) and wait until it has gone and the screen reloaded."""
    await settle(pilot)
    await pilot.press("ctrl+s")
    await settle(pilot)
    form = pilot.app.screen
    assert not isinstance(form, FormScreen), f"{form.form_title}: {form.message}"
    pilot.app.check_log()  # type: ignore[attr-defined]
    await settle(pilot)


async def test_prepare_a_meeting_find_missing_pathology_chase_and_receive(
    sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    """The "done when" preparation: find the cases missing pathology, chase their
    transfers, receive one."""
    prepare_bladder_meeting(sqlite_workspace)
    head = sqlite_workspace.head()
    app = make_app(sqlite_workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_meeting(pilot, MEETING)
        assert [r[0] for r in rows(pilot, "#cases")] == ["CASE-T1", "CASE-T2", "CASE-T3"]
        await pilot.press("m", "m", "m")  # every case → missing any → imaging → pathology
        await settle(pilot)
        assert screen.missing == "pathology_report"
        assert [r[0] for r in rows(pilot, "#cases")] == ["CASE-T1", "CASE-T2"]
        assert rows(pilot, "#cases")[0][6] == "missing pathology_report"

        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert "TR-T1-path" in app.screen.form_title
        await submit(pilot)
        await pilot.press("down", "c")
        await submit(pilot)
        await pilot.press("v")  # CASE-T2's transfer received
        await submit(pilot)

        written = events_since(sqlite_workspace.database.store, head)
        assert [(e.type, e.data.transfer_id) for e in written] == [  # type: ignore[union-attr]
            ("TransferChased", "TR-T1-path"),
            ("TransferChased", "TR-T2-path"),
            ("TransferReceived", "TR-T2-path"),
        ]
        assert all(e.actor == ACTOR for e in written)
        # CASE-T2 has its pathology now, so the filter leaves only CASE-T1, chased once
        assert [r[0] for r in rows(pilot, "#cases")] == ["CASE-T1"]
        pathology = next(r for r in rows(pilot, "#items") if r[0] == "pathology_report")
        assert pathology[4:] == ["TR-T1-path", "requested", "IEP", "1 h", "1"]
        await pilot.press("m", "m")  # clinical_summary, then every case again
        await settle(pilot)
        t2 = rows(pilot, "#cases")[1]
        assert t2[0] == "CASE-T2" and t2[5] == "ready" and t2[6] == "ready"


async def test_list_a_case_and_a_rejection_shows_the_rule_and_writes_nothing(
    workspace: Workspace, make_app: AppFactory
) -> None:
    """Recording path on SQLite and PostgreSQL: a case listed from the keyboard is stored
    with the actor; a listing the rules refuse keeps the form open with the rule's
    message and writes nothing."""
    head = workspace.head()
    app = make_app(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_meeting(pilot, MEETING)
        await pilot.press("l")
        await settle(pilot)
        await type_text(pilot, "CASE-NEW")
        await pilot.press("tab")
        await type_text(pilot, "PT99999")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert "PT99999" in form.message and "not registered" in form.message
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # still open, showing why
        assert "PT99999" in form.message
        assert workspace.head() == head  # nothing written

        await pilot.press(*["backspace"] * 7)
        await type_text(pilot, "PT00004")
        await submit(pilot)
        assert isinstance(app.screen, MeetingScreen)
        written = events_since(workspace.database.store, head)
        assert [e.type for e in written] == ["CaseListed"]
        listed = written[0]
        assert listed.actor == ACTOR
        assert listed.data.model_dump() == {  # the meeting's pathway and the actor's site
            "case_id": "CASE-NEW",
            "patient_id": "PT00004",
            "meeting_id": MEETING,
            "pathway": "bladder",
            "presenting_site": "S01",
            "referral_id": None,
        }
        assert rows(pilot, "#cases") == [
            ["CASE-NEW", "PT00004", "S01", "listed", "open",
             "missing imaging, pathology_report, clinical_summary",
             "missing imaging, pathology_report, clinical_summary"],
        ]  # fmt: skip


async def test_run_a_meeting_attendance_discussions_deferral_relisting_actions(
    sqlite_workspace: Workspace, clock: Clock, make_app: AppFactory
) -> None:
    """The "done when" meeting: attendance, a technical issue, a discussion, a deferral
    and relisting, items, transfers, actions agreed and completed, outcome sent."""
    prepare_bladder_meeting(sqlite_workspace)
    clock.at = datetime(2024, 12, 18, 13, 0, tzinfo=UTC)  # the meeting's afternoon
    head = sqlite_workspace.head()
    app = make_app(sqlite_workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_meeting(pilot, MEETING)
        summary = str(screen.query_one("#meeting-summary").render())
        assert "technical issues: 0" in summary

        await pilot.press("a")  # attendance: attendee, site (S01), group
        await settle(pilot)
        await type_text(pilot, "dr.morgan")
        await pilot.press("tab", "tab", "enter")
        await type_text(pilot, "surg")
        await pilot.press("enter", "tab")
        await type_text(pilot, "55")
        await submit(pilot)
        await pilot.press("k")  # technical issue (video link)
        await submit(pilot)

        await pilot.press("down", "down", "d")  # CASE-T3 discussed
        await settle(pilot)
        await type_text(pilot, "radical cystectomy")
        await submit(pilot)
        await pilot.press("g")  # agree an action on CASE-T3
        await settle(pilot)
        await pilot.press("tab", "tab")
        await type_text(pilot, "book surgery")
        await submit(pilot)
        await pilot.press("G")  # and complete it
        await submit(pilot)
        await pilot.press("o")  # outcome communicated to the presenting site
        await submit(pilot)

        await pilot.press("up", "up", "D")  # CASE-T1 deferred: missing information
        await submit(pilot)
        await pilot.press("r")  # relisted for the next bladder meeting
        await submit(pilot)
        await pilot.press("t")  # a second request for its pathology, by secure email
        await settle(pilot)
        await pilot.press("tab", "tab", "tab", "tab", "enter")
        await type_text(pilot, "secure")
        await pilot.press("enter")
        await submit(pilot)

        await pilot.press("down", "w")  # CASE-T2: pathology waived
        await settle(pilot)
        await pilot.press("tab")
        await type_text(pilot, "reviewed at the local MDT")
        await submit(pilot)
        await pilot.press("i")  # and an extra item received
        await settle(pilot)
        await pilot.press(*["backspace"] * 20)
        await type_text(pilot, "histology")
        await submit(pilot)

        await pilot.press("up", "tab")  # CASE-T1's items: fail the first request
        for _ in range(5):
            _, transfer = screen._current_item_row()
            if transfer is not None and transfer.transfer.transfer_id == "TR-T1-path":
                break
            await pilot.press("down")
        await pilot.press("x")
        await settle(pilot)
        await type_text(pilot, "portal down")
        await submit(pilot)
        await pilot.press("down", "s")  # the second request sent
        await submit(pilot)

        written = events_since(sqlite_workspace.database.store, head)
        assert [e.type for e in written] == [
            "AttendanceRecorded",
            "TechnicalIssueReported",
            "CaseDiscussed",
            "ActionAgreed",
            "ActionCompleted",
            "OutcomeCommunicated",
            "CaseDeferred",
            "CaseRelisted",
            "TransferRequested",
            "ItemWaived",
            "ItemReceived",
            "TransferFailed",
            "TransferSent",
        ]
        assert all(e.actor == ACTOR for e in written)
        data = {e.type: e.data.model_dump(exclude_none=True) for e in written}
        assert data["AttendanceRecorded"] == {
            "meeting_id": MEETING,
            "attendee_id": "dr.morgan",
            "site": "S01",
            "professional_group": "surgeon",
            "minutes_present": 55,
        }
        assert data["CaseDiscussed"]["outcome"] == "radical cystectomy"
        assert data["CaseDeferred"] == {
            "case_id": "CASE-T1", "meeting_id": MEETING, "reason": "missing_information"
        }  # fmt: skip
        assert data["CaseRelisted"] == {"case_id": "CASE-T1", "meeting_id": LATER_MEETING}
        assert data["ActionAgreed"]["description"] == "book surgery"
        assert data["OutcomeCommunicated"] == {"case_id": "CASE-T3", "to_site": "S07"}
        assert data["TransferRequested"]["method"] == "email"
        assert data["TransferRequested"]["from_site"] == "S05"
        assert data["ItemWaived"]["item"] == "pathology_report"
        assert data["ItemReceived"] == {"case_id": "CASE-T2", "item": "histology"}
        assert data["TransferFailed"] == {"transfer_id": "TR-T1-path", "reason": "portal down"}

        cases = {r[0]: r for r in rows(pilot, "#cases")}
        assert cases["CASE-T1"][4] == "deferred"
        assert cases["CASE-T3"][4] == "discussed"
        assert cases["CASE-T2"][6] == "ready (1 waived)"
        summary = str(screen.query_one("#meeting-summary").render())
        assert "technical issues: 1" in summary


async def test_schedule_a_meeting_from_the_list(
    sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    """A meeting scheduled from the keyboard (local times, network zone) is stored with
    the actor and listed among the upcoming ones."""
    head = sqlite_workspace.head()
    app = make_app(sqlite_workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("p")  # the bladder pathway
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "BLAD-2025-01-08")
        await pilot.press("tab", "tab", "tab")
        await type_text(pilot, "2025-01-08 12:30")
        await pilot.press("tab")
        await type_text(pilot, "2025-01-06 12:00")
        await submit(pilot)
        (scheduled,) = events_since(sqlite_workspace.database.store, head)
        assert scheduled.type == "MeetingScheduled" and scheduled.actor == ACTOR
        assert scheduled.data.model_dump() == {
            "meeting_id": "BLAD-2025-01-08",
            "pathway": "bladder",
            "host_site": "S01",
            "scheduled_for": datetime(2025, 1, 8, 12, 30, tzinfo=UTC),
            "cutoff": datetime(2025, 1, 6, 12, 0, tzinfo=UTC),
        }
        screen = app.screen
        assert isinstance(screen, MeetingsScreen)
        assert [r.meeting.meeting_id for r in screen.rows[:2]] == [MEETING, "BLAD-2025-01-08"]
