"""SVG snapshots of the coordinator's key screens at 120x40 with the pinned clock
(2024-12-16 09:00 UTC): the meetings list, a meeting's cases, a form showing a rule's
message. Update after an intended change with ``pytest --snapshot-update`` and review the
SVGs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from coord.tui.coordinator import MeetingsScreen
from coord.tui.workspace import Workspace

from .conftest import SIZE, AppFactory, settle, type_text
from .scenario import MEETING, prepare_bladder_meeting

pytestmark = pytest.mark.usefixtures("pinned_locale")
SnapCompare = Callable[..., bool]


async def _open(pilot: Pilot[Any], meeting_id: str) -> None:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, MeetingsScreen)
    index = [r.meeting.meeting_id for r in screen.rows].index(meeting_id)
    await pilot.press(*["down"] * index, "enter")
    await settle(pilot)


def test_meetings_list(
    sqlite_workspace: Workspace, make_app: AppFactory, snap_compare: SnapCompare
) -> None:
    """Upcoming meetings first (soonest at the top), then the most recent past ones."""
    assert snap_compare(make_app(sqlite_workspace), terminal_size=SIZE, run_before=settle)


def test_meeting_case_list(
    sqlite_workspace: Workspace, make_app: AppFactory, snap_compare: SnapCompare
) -> None:
    """Three cases, two missing pathology with a transfer each; the first case's items."""
    prepare_bladder_meeting(sqlite_workspace)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _open(pilot, MEETING)

    assert snap_compare(make_app(sqlite_workspace), terminal_size=SIZE, run_before=run_before)


def test_form_shows_the_rule_that_refuses_the_event(
    sqlite_workspace: Workspace, make_app: AppFactory, snap_compare: SnapCompare
) -> None:
    """Listing a case for a patient nobody registered: the form says so, in the rule's
    words, before anything is recorded."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await _open(pilot, MEETING)
        await pilot.press("l")
        await settle(pilot)
        await type_text(pilot, "CASE-X")
        await pilot.press("tab")
        await type_text(pilot, "PT99999")
        await settle(pilot)

    assert snap_compare(make_app(sqlite_workspace), terminal_size=SIZE, run_before=run_before)
