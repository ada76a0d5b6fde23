"""SVG snapshots of the navigator's screens (pinned size, clock, locale and Textual
version): the handover board and a timeline with a retracted event. Update with
``pytest --snapshot-update`` after checking the new pictures by eye."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from coord.app.timeline import timeline_page
from coord.events.types import EventRetracted
from coord.tui.workspace import Workspace

from .b_helpers import settle, type_text
from .conftest import NOW, SIZE, AppFactory, record_all


@pytest.fixture(autouse=True)
def _pinned_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")


def test_handover_board_overdue(
    snap_compare: Callable[..., bool], sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    async def open_overdue(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("]")
        await settle(pilot)

    app = make_app(sqlite_workspace, mode="navigator")
    assert snap_compare(app, terminal_size=SIZE, run_before=open_overdue)


def test_timeline_with_a_retracted_event(
    snap_compare: Callable[..., bool], sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    page = timeline_page(sqlite_workspace.database.store, "PT00025", limit=100)
    target = page.entries[-1].event
    assert target.type == "ActionCompleted"
    record_all(
        sqlite_workspace,
        (EventRetracted(event_id=target.event_id, reason="completed in error"), NOW),
    )

    async def open_timeline(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        await type_text(pilot, "PT00025")
        await pilot.press("enter")
        await settle(pilot)
        # the retracted event (highlighted, its retraction in full below) and the retraction
        await pilot.press("ctrl+end", "up")
        await settle(pilot)

    app = make_app(sqlite_workspace, mode="navigator")
    assert snap_compare(app, terminal_size=SIZE, run_before=open_timeline)
