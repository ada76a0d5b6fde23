"""SVG snapshots of the shell's screens at 120x40 with the pinned clock: the help
screen and the live event log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from coord.tui.workspace import Workspace

from .conftest import SIZE, AppFactory, settle

pytestmark = pytest.mark.usefixtures("pinned_locale")
SnapCompare = Callable[..., bool]


def test_help_screen_lists_the_keys_of_the_screen_below(
    sqlite_workspace: Workspace, make_app: AppFactory, snap_compare: SnapCompare
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(sqlite_workspace), terminal_size=SIZE, run_before=run_before)


def test_event_log_newest_first(
    sqlite_workspace: Workspace, make_app: AppFactory, snap_compare: SnapCompare
) -> None:
    app = make_app(sqlite_workspace, mode="log")
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)
