"""Helpers shared by the navigator, timeline and auditor Pilot tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from coord.tui.app import CoordApp

from .conftest import settle, type_text

__all__ = [
    "cell_text",
    "held_back",
    "lines_painted_early",
    "move_to",
    "settle",
    "table_keys",
    "type_text",
]


def table_keys(app: CoordApp, selector: str) -> list[str]:
    """The row keys of a table on the current screen, top to bottom."""
    table = app.screen.query_one(selector, DataTable)
    return [str(row.key.value) for row in table.ordered_rows]


def cell_text(app: CoordApp, selector: str, row_key: str, column: int) -> str:
    table = app.screen.query_one(selector, DataTable)
    return str(table.get_row(row_key)[column])


async def lines_painted_early(pilot: Pilot[Any], table: DataTable[Any]) -> list[str]:
    """The lines of ``table`` as shown once the app is idle, after painting it first
    before it is idle (as the screen does right after filling it): a row painted before
    Textual measured the cells used to stay cached at the old column widths."""
    table.render_lines(table.region.reset_offset)
    await settle(pilot)
    return [strip.text for strip in table.render_lines(table.region.reset_offset)]


async def move_to(pilot: Pilot[Any], selector: str, row_key: str) -> None:
    """Put the cursor of a table on the row ``row_key`` with the arrow keys."""
    table = pilot.app.screen.query_one(selector, DataTable)
    table.focus()
    keys = table_keys(pilot.app, selector)  # type: ignore[arg-type]
    target = keys.index(row_key)
    await pilot.press(*(["up"] * table.cursor_row), *(["down"] * target))
    await pilot.pause()
    assert table.cursor_row == target


@contextmanager
def held_back(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str
) -> Iterator[Callable[[], None]]:
    """Hold back ``module.name`` (a query a screen runs in a worker) until the block
    ends or the function it gives is called, so a test can see the screen before its
    data arrives. Do not settle while it is held: settling waits for that worker."""
    arrived = threading.Event()
    query = getattr(module, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        arrived.wait(timeout=30)
        return query(*args, **kwargs)

    monkeypatch.setattr(module, name, held)
    try:
        yield arrived.set
    finally:
        arrived.set()
