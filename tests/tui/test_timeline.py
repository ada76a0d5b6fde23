"""A patient's timeline from the keyboard: opened from the navigator, retracting an event
with a reason (struck through, reason shown), a retraction the rules refuse (nothing
written, the rule's message shown), and paging."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rich.text import Text
from textual.widgets import DataTable, Static

from coord.events.envelope import Actor
from coord.events.types import EventRetracted
from coord.tui import timeline as timeline_module
from coord.tui.forms import FormScreen
from coord.tui.timeline import COLUMNS, TimelineScreen
from coord.tui.workspace import Workspace

from .b_helpers import held_back, lines_painted_early, move_to, settle, table_keys, type_text
from .conftest import ACTOR, AppFactory, events_since

PATIENT = "PT00025"
#: the last event about PT00025: ActionCompleted of CASE-00025-POSTOP-A2, 2024-04-14
LAST_ACTION = 39


async def _open_timeline(pilot: object, patient: str) -> None:
    await pilot.press("p")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    await type_text(pilot, patient)  # type: ignore[arg-type]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]


async def test_retracting_from_the_timeline_strikes_the_event_through_with_its_reason(
    workspace: Workspace, make_app: AppFactory
) -> None:
    head = workspace.head()
    app = make_app(workspace, mode="navigator")
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_timeline(pilot, PATIENT)
        screen = app.screen
        assert isinstance(screen, TimelineScreen)
        keys = table_keys(app, "#timeline")
        assert len(keys) == 40
        target = keys[LAST_ACTION]
        await move_to(pilot, "#timeline", target)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await pilot.click("#field-reason")
        await type_text(pilot, "completed in error")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        table = screen.query_one("#timeline", DataTable)
        struck = table.get_row(target)
        assert all(isinstance(c, Text) and "strike" in str(c.style) for c in struck[:3])
        assert str(struck[3]).startswith("✗ retracted: completed in error")
        detail = str(screen.query_one("#timeline-detail", Static).render())
        assert "retracted 2024-12-16 09:00: completed in error" in detail
        keys = table_keys(app, "#timeline")
        assert len(keys) == 41
        assert str(table.get_row(keys[-1])[2]) == "EventRetracted"
        status = str(screen.query_one("#timeline-status", Static).render())
        assert "of 41" in status and "1 retracted" in status
    (retraction,) = events_since(workspace.database.store, head)
    assert retraction.data == EventRetracted(event_id=target, reason="completed in error")
    assert retraction.actor == ACTOR


async def test_a_retraction_the_rules_refuse_writes_nothing_and_says_why(
    sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    workspace = sqlite_workspace
    head = workspace.head()
    app = make_app(workspace, mode="navigator")
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_timeline(pilot, PATIENT)
        await pilot.press("r")  # the first row: PatientRegistered, which others name
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        await pilot.click("#field-reason")
        await type_text(pilot, "duplicate registration")
        await settle(pilot)
        assert "patient:PT00025 is still referenced by" in form.message
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "retract those first" in form.message
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)
    assert workspace.head() == head


async def test_the_timeline_pages_and_goes_back(
    sqlite_workspace: Workspace, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeline_module, "PAGE_SIZE", 15)
    app = make_app(sqlite_workspace, mode="navigator")
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_timeline(pilot, PATIENT)
        first = table_keys(app, "#timeline")
        await pilot.press("n")
        await settle(pilot)
        second = table_keys(app, "#timeline")
        await pilot.press("n", "n")
        await settle(pilot)
        third = table_keys(app, "#timeline")
        assert (len(first), len(second), len(third)) == (15, 15, 10)
        assert not set(first) & set(second)
        status = str(app.screen.query_one("#timeline-status", Static).render())
        assert status.startswith("events 31–40 of 40")
        await pilot.press("b", "b")
        await settle(pilot)
        assert table_keys(app, "#timeline") == first
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, TimelineScreen)


async def test_an_unknown_patient_says_so(
    sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    app = make_app(sqlite_workspace, mode="navigator")
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_timeline(pilot, "PT99999")
        status = str(app.screen.query_one("#timeline-status", Static).render())
        assert status == "no events about patient PT99999 in the log"


async def test_rows_painted_before_the_table_measures_them_show_in_full(
    workspace: Workspace, make_app: AppFactory
) -> None:
    """A timeline page is painted at its own cells' widths, however soon after it was
    shown: a row painted before Textual measured it stayed cached at the widths of the
    page before (a longer user name cut short until the cursor moved over it)."""
    app = make_app(workspace, mode="navigator")
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_timeline(pilot, PATIENT)
        screen = app.screen
        assert isinstance(screen, TimelineScreen) and screen.page is not None
        first = screen.page.entries[0]
        actor = Actor(user="a.much.longer.user.name", role="navigator", site="S01")
        entry = replace(first, event=replace(first.event, actor=actor))
        screen.show(replace(screen.page, entries=(entry,)))
        table = screen.query_one("#timeline", DataTable)
        lines = await lines_painted_early(pilot, table)
        assert any("a.much.longer.user.name" in line for line in lines), lines


async def test_headings_show_while_the_timeline_loads(
    workspace: Workspace, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The timeline's headings are there before its first page arrives (a slow query
    showed a headless table under "loading…")."""
    app = make_app(workspace, mode="navigator")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("p")
        await settle(pilot)
        await type_text(pilot, PATIENT)
        with held_back(monkeypatch, timeline_module, "timeline_page"):
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, TimelineScreen) and screen.page is None
            table = screen.query_one("#timeline", DataTable)
            assert [str(c.label) for c in table.columns.values()] == [h for _, h in COLUMNS]
            assert str(screen.query_one("#timeline-status", Static).render()) == "loading…"
        await settle(pilot)
        assert screen.page is not None and table.row_count > 0
