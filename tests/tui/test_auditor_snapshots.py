"""SVG snapshots of the auditor's screens (pinned size, clock, locale and Textual
version): a report table, the information gaps, a trend chart. Update with
``pytest --snapshot-update`` after checking the new pictures by eye."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from coord.tui.auditor import AuditorScreen
from coord.tui.workspace import Workspace

from .b_helpers import settle
from .conftest import SIZE, AppFactory
from .test_auditor import _view_index, choose, fill


@pytest.fixture(autouse=True)
def _pinned_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")


async def answered(pilot: Pilot[Any]) -> None:
    """Settle until the auditor's screen shows its answer: the first query starts only
    once the screen has mounted, which a cold process (CI's, where this file's first
    test once caught the table between its rows and their column widths) may reach
    after the workers have been waited for."""
    for _ in range(200):
        await settle(pilot)
        screen = pilot.app.screen
        if isinstance(screen, AuditorScreen) and screen.result and screen.running is None:
            break
        await pilot.pause(0.05)
    else:
        raise AssertionError("the auditor's first answer did not arrive")
    await settle(pilot)


def test_completeness_report_table(
    snap_compare: Callable[..., bool], sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    app = make_app(sqlite_workspace, mode="auditor")
    assert snap_compare(app, terminal_size=SIZE, run_before=answered)


def test_information_gaps_for_a_site(
    snap_compare: Callable[..., bool], sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    async def gaps(pilot: Pilot[Any]) -> None:
        await answered(pilot)
        await choose(pilot, "#view", _view_index("gaps"))
        await fill(pilot, "#site", "S09", submit=True)
        pilot.app.screen.query_one("#auditor-table").focus()
        await settle(pilot)

    app = make_app(sqlite_workspace, mode="auditor")
    assert snap_compare(app, terminal_size=SIZE, run_before=gaps)


def test_case_completeness_trend_chart(
    snap_compare: Callable[..., bool], sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    async def chart(pilot: Pilot[Any]) -> None:
        await answered(pilot)
        await choose(pilot, "#view", _view_index("chart:completeness"))
        # plotext lays out its ticks for the widget's size when it renders: render again
        # once the layout has settled
        await pilot.pause(0.1)
        pilot.app.screen.query_one("#auditor-chart").refresh()
        await settle(pilot)

    app = make_app(sqlite_workspace, mode="auditor")
    assert snap_compare(app, terminal_size=SIZE, run_before=chart)
