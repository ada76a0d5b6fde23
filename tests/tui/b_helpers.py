"""Helpers shared by the navigator, timeline and auditor Pilot tests."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from coord.tui.app import CoordApp


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers finish and their results reach the screen, including each DataTable's
    column widths (measured when the table is next idle: a snapshot taken earlier shows
    rows squeezed into the headings' widths)."""
    app = pilot.app
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()
    for _ in range(100):
        tables = [t for screen in app.screen_stack for t in screen.query(DataTable)]
        if not any(t._require_update_dimensions or t._updated_cells for t in tables):
            break
        await pilot.pause(0.02)


def table_keys(app: CoordApp, selector: str) -> list[str]:
    """The row keys of a table on the current screen, top to bottom."""
    table = app.screen.query_one(selector, DataTable)
    return [str(row.key.value) for row in table.ordered_rows]


def cell_text(app: CoordApp, selector: str, row_key: str, column: int) -> str:
    table = app.screen.query_one(selector, DataTable)
    return str(table.get_row(row_key)[column])


async def move_to(pilot: Pilot[Any], selector: str, row_key: str) -> None:
    """Put the cursor of a table on the row ``row_key`` with the arrow keys."""
    table = pilot.app.screen.query_one(selector, DataTable)
    table.focus()
    keys = table_keys(pilot.app, selector)  # type: ignore[arg-type]
    target = keys.index(row_key)
    await pilot.press(*(["up"] * table.cursor_row), *(["down"] * target))
    await pilot.pause()
    assert table.cursor_row == target


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*text)
