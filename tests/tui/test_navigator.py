"""The patient navigator's workflows from the keyboard, on a real database: a handover
followed from the board to completion, a decline that needs a reason, a chase of an
outstanding transfer, and another process's append showing up without a restart."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import DataTable

from coord.app.handovers import BoardPage
from coord.events.types import (
    HandoverAcknowledged,
    HandoverCompleted,
    HandoverDeclined,
    HandoverInitiated,
    TransferChased,
)
from coord.tui import navigator as navigator_module
from coord.tui.forms import FormScreen
from coord.tui.navigator import (
    HANDOVER_COLUMNS,
    TABS,
    TRANSFER_COLUMNS,
    TRANSFERS,
    NavigatorScreen,
)
from coord.tui.workspace import Workspace

from .b_helpers import (
    cell_text,
    held_back,
    lines_painted_early,
    move_to,
    settle,
    table_keys,
    type_text,
)
from .conftest import ACTOR, NOW, AppFactory, events_since, record_all, workers_done

NEW = HandoverInitiated(
    handover_id="HO-NEW-1",
    patient_id="PT00025",
    from_site="S01",
    to_site="S04",
    from_role="specialist team",
    to_role="local oncology",
    reason="follow-up after surgery",
)


def _status(app: object) -> str:
    from textual.widgets import Static

    screen = app.screen  # type: ignore[attr-defined]
    return str(screen.query_one("#navigator-status", Static).render())


async def test_a_handover_is_followed_from_the_board_to_completion(
    workspace: Workspace, make_app: AppFactory
) -> None:
    record_all(workspace, (NEW, NOW - timedelta(hours=3)))
    head = workspace.head()
    app = make_app(workspace, mode="navigator")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, NavigatorScreen)
        assert table_keys(app, "#table-awaiting") == ["HO-NEW-1"]
        assert cell_text(app, "#table-awaiting", "HO-NEW-1", 4) == "3 h"

        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NavigatorScreen)
        assert table_keys(app, "#table-awaiting") == []

        await pilot.press("]", "]", "]")  # to "acknowledged, not completed"
        await settle(pilot)
        assert app.screen.tab == "unfinished"  # type: ignore[attr-defined]
        assert "HO-NEW-1" in table_keys(app, "#table-unfinished")
        await move_to(pilot, "#table-unfinished", "HO-NEW-1")
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "HO-NEW-1" not in table_keys(app, "#table-unfinished")

    written = events_since(workspace.database.store, head)
    assert [type(e.data) for e in written] == [HandoverAcknowledged, HandoverCompleted]
    assert all(e.data.handover_id == "HO-NEW-1" for e in written)  # type: ignore[attr-defined]
    assert all(e.actor == ACTOR for e in written)


async def test_declining_needs_a_reason_and_moves_the_handover_to_declined(
    sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    workspace = sqlite_workspace
    head = workspace.head()
    app = make_app(workspace, mode="navigator")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("]")  # overdue
        await settle(pilot)
        overdue = table_keys(app, "#table-overdue")
        assert overdue == ["HO-00010-1", "HO-00008-2", "HO-00005-2"]
        # initiated 2024-03-11 01:21 UTC
        assert cell_text(app, "#table-overdue", "HO-00010-1", 4) == "280 d 7 h"
        await pilot.press("d")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert form.message == "Reason: is required"
        assert workspace.head() == head  # nothing written on rejection
        await pilot.click("#field-reason")
        await type_text(pilot, "patient moved out of area")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NavigatorScreen)
        assert table_keys(app, "#table-overdue") == ["HO-00008-2", "HO-00005-2"]
        await pilot.press("]")  # declined
        await settle(pilot)
        # most recently declined first (the sample's own decline is dated 2024-12-17)
        assert table_keys(app, "#table-declined") == ["HO-00023-2", "HO-00010-1"]
    (declined,) = events_since(workspace.database.store, head)
    assert isinstance(declined.data, HandoverDeclined)
    assert declined.data.reason == "patient moved out of area"


async def test_an_outstanding_transfer_is_chased_from_the_board(
    sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    workspace = sqlite_workspace
    head = workspace.head()
    app = make_app(workspace, mode="navigator")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("[")  # wraps round to the outstanding transfers
        await settle(pilot)
        keys = table_keys(app, "#table-transfers")
        assert keys == ["TR-00016-LETTER", "TR-00004-LETTER", "TR-00023-LETTER"]
        await move_to(pilot, "#table-transfers", "TR-00004-LETTER")
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert cell_text(app, "#table-transfers", "TR-00004-LETTER", 8) == "1"
    (chase,) = events_since(workspace.database.store, head)
    assert chase.data == TransferChased(transfer_id="TR-00004-LETTER")


async def test_site_filter_limits_the_board(
    sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    app = make_app(sqlite_workspace, mode="navigator")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("]")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("ctrl+u")  # clear the suggested site
        await type_text(pilot, "S09")
        await pilot.press("enter")
        await settle(pilot)
        assert table_keys(app, "#table-overdue") == ["HO-00008-2"]
        assert "site S09" in _status(app)


async def test_another_processs_handover_appears_without_restart(
    sqlite_workspace: Workspace, make_app: AppFactory, tmp_path: Path
) -> None:
    workspace = sqlite_workspace
    line = (
        '{"type": "HandoverInitiated", "occurred_at": "2024-12-16T08:00:00Z", '
        '"data": {"handover_id": "HO-ELSEWHERE", "patient_id": "PT00025", "from_site": "S02", '
        '"to_site": "S01", "from_role": "ward", "to_role": "cns", "reason": "discharge"}}\n'
    )
    file = tmp_path / "one.jsonl"
    file.write_text(line, encoding="utf-8")
    app = make_app(workspace, mode="navigator", poll_seconds=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert table_keys(app, "#table-awaiting") == []
        source = str(Path(__file__).parents[2] / "src")
        env = {**os.environ, "PYTHONPATH": source}
        done = subprocess.run(
            [sys.executable, "-m", "coord", "import", "--db", workspace.database.url, str(file)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        for _ in range(50):
            await pilot.pause(0.1)
            await workers_done(app)
            if table_keys(app, "#table-awaiting"):
                break
        assert table_keys(app, "#table-awaiting") == ["HO-ELSEWHERE"]


async def test_rows_painted_before_the_table_measures_them_show_in_full(
    workspace: Workspace, make_app: AppFactory
) -> None:
    """A board's page is painted at its own cells' widths, however soon after it was
    shown: a row painted before Textual measured it stayed cached at the widths of the
    page before (a longer patient id cut short until the cursor moved over it)."""
    record_all(workspace, (NEW, NOW - timedelta(hours=3)))
    app = make_app(workspace, mode="navigator")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, NavigatorScreen) and screen.view is not None
        page = screen.view.page
        assert isinstance(page, BoardPage)
        longer = replace(page.handovers[0], patient_id="PT-A-MUCH-LONGER-ID-0001")
        screen.show(replace(screen.view, page=replace(page, handovers=(longer,))))
        table = screen.query_one("#table-awaiting", DataTable)
        lines = await lines_painted_early(pilot, table)
        assert any("PT-A-MUCH-LONGER-ID-0001" in line for line in lines), lines


async def test_headings_show_while_the_board_loads(
    workspace: Workspace, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every tab's table has its headings before the board's first page arrives (a slow
    query showed headless tables under "loading…")."""
    app = make_app(workspace, mode="navigator")
    with held_back(monkeypatch, navigator_module, "load_board") as release:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, NavigatorScreen) and screen.view is None
            for name, _ in TABS:
                table = screen.query_one(f"#table-{name}", DataTable)
                expected = TRANSFER_COLUMNS if name == TRANSFERS else HANDOVER_COLUMNS
                assert [str(c.label) for c in table.columns.values()] == [h for _, h in expected]
            release()
            await settle(pilot)
            assert screen.view is not None
