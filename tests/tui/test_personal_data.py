"""Personal data in the terminal UI (issue 6, item 5): no screen shows an NHS number —
not the meetings, a meeting's cases, the handover board, the gaps, the live event log,
nor a patient's timeline, whose detail line shows the highlighted event in full.

The sample log registers 22 patients with NHS numbers; every screen is searched for each
of them, as plain digits and written 3-3-4."""

from __future__ import annotations

import json
import re
from pathlib import Path

from textual.widgets import DataTable, Static

from coord.tui.app import CoordApp
from coord.tui.timeline import TimelineScreen
from coord.tui.workspace import Workspace

from .conftest import SAMPLE, AppFactory, settle


def _registrations() -> dict[str, str]:
    """patient id -> NHS number, from the sample log."""
    found = {}
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event["type"] == "PatientRegistered" and "nhs_number" in event["data"]:
            found[event["data"]["patient_id"]] = event["data"]["nhs_number"]
    return found


REGISTERED = _registrations()


def _shown(app: CoordApp) -> str:
    """Everything the screen stack holds for the eye: every table cell (every loaded row,
    not only the visible ones), every static text, and the rendered screen."""
    parts: list[str] = []
    for screen in app.screen_stack:
        for table in screen.query(DataTable):
            for row in range(table.row_count):
                parts.extend(str(cell) for cell in table.get_row_at(row))
        for static in screen.query(Static):
            parts.append(str(static.render()))
    svg = app.export_screenshot()
    parts.append(re.sub(r"<[^>]+>", "", svg).replace("&#160;", " "))
    return "\n".join(parts)


def _leaks(text: str) -> list[str]:
    found = []
    for number in REGISTERED.values():
        spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
        if number in text or spaced in text:
            found.append(number)
    return found


def test_the_sample_registers_patients_with_nhs_numbers() -> None:
    assert len(REGISTERED) >= 20


async def test_no_screen_shows_an_nhs_number(
    sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    app = make_app(sqlite_workspace)
    seen: list[str] = []
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        seen.append(_shown(app))  # meetings
        await pilot.press("enter")  # a meeting's cases
        await settle(pilot)
        seen.append(_shown(app))
        await pilot.press("escape")
        for mode in ("2", "3", "4"):  # handover board, auditor, live event log
            await pilot.press(mode)
            await settle(pilot)
            seen.append(_shown(app))
        for patient_id in sorted(REGISTERED):
            await app.push_screen(TimelineScreen(patient_id))
            await settle(pilot)
            table = app.screen.query_one(DataTable)
            assert table.row_count > 0, patient_id  # the registration at least
            for _ in range(table.row_count):  # the detail line shows each event in full
                seen.append(_shown(app))
                await pilot.press("down")
                await pilot.pause()
            await pilot.press("escape")
            await settle(pilot)
    shown = "\n".join(seen)
    assert "PT00009" in shown  # the patients are there, named by their ids
    assert _leaks(shown) == []


def test_the_search_would_find_a_number_written_either_way() -> None:
    number = next(iter(REGISTERED.values()))
    assert _leaks(f"nhs {number}") == [number]
    assert _leaks(f"nhs {number[:3]} {number[3:6]} {number[6:]}") == [number]
    assert _leaks(Path("no numbers here").name) == []
