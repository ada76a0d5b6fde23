"""The app shell: workspaces (modes), the actor on every event, recording and checking
through the workspace, help, and the log advancing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.pilot import Pilot

from coord.app.recording import EventRejected
from coord.events.types import TransferChased
from coord.tui.app import CoordApp
from coord.tui.coordinator import MeetingsScreen
from coord.tui.coordinator_meeting import MeetingScreen
from coord.tui.help import HelpScreen
from coord.tui.log_view import LogScreen
from coord.tui.workspace import Workspace

from .conftest import AppFactory, settle, type_text


def test_workspace_records_with_the_actor_and_refuses_without_writing(
    workspace: Workspace,
) -> None:
    head = workspace.head()
    reason = workspace.check(TransferChased(transfer_id="no-such-transfer"))
    assert reason is not None and "no-such-transfer" in reason
    with pytest.raises(EventRejected) as refused:
        workspace.record(TransferChased(transfer_id="no-such-transfer"))
    assert refused.value.reason == reason
    assert workspace.head() == head  # nothing written


async def test_app_opens_on_the_meetings_and_switches_workspaces(
    sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    app = make_app(sqlite_workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MeetingsScreen)
        assert "alex.coordinator" in app.sub_title
        await pilot.press("4")
        await pilot.pause()
        assert isinstance(app.screen, LogScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("1")
        await pilot.pause()
        assert isinstance(app.screen, MeetingsScreen)


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        if condition():
            return True
    return False


async def test_a_second_process_append_appears_without_restart(
    sqlite_workspace: Workspace, sqlite_sample_url: str, make_app: AppFactory, tmp_path: Path
) -> None:
    """Another process (a real `coord import`) appends to the same SQLite file; the open
    meeting and the event log show it within the polling interval."""
    line = {
        "type": "TechnicalIssueReported",
        "occurred_at": "2024-12-18T13:05:00Z",
        "actor": {"user": "other.process"},
        "data": {"meeting_id": "BLAD-2024-12-18", "kind": "video_link", "note": "no sound"},
    }
    file = tmp_path / "issue.jsonl"
    file.write_text(json.dumps(line) + "\n", encoding="utf-8")
    app = make_app(sqlite_workspace, poll_seconds=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        meetings = app.screen
        assert isinstance(meetings, MeetingsScreen)
        index = [r.meeting.meeting_id for r in meetings.rows].index("BLAD-2024-12-18")
        await pilot.press(*["down"] * index, "enter")
        await settle(pilot)
        summary = app.screen.query_one("#meeting-summary")
        assert "technical issues: 0" in str(summary.render())
        head = app.head

        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "coord", "import", "--db", sqlite_sample_url, str(file)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")},
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert await wait_for(pilot, lambda: "technical issues: 1" in str(summary.render()), 10)
        assert app.head == head + 1

        await pilot.press("4")
        await settle(pilot)
        log = app.screen
        assert isinstance(log, LogScreen)
        top = log.entries[0]
        assert top.position == head + 1
        assert top.event.type == "TechnicalIssueReported"
        assert top.event.actor is not None and top.event.actor.user == "other.process"


async def test_help_lists_every_key_of_the_screen_and_the_palette_switches_workspace(
    sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    app = make_app(sqlite_workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # open the first meeting
        await settle(pilot)
        meeting = app.screen
        assert isinstance(meeting, MeetingScreen)
        await pilot.press("question_mark")
        await settle(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        described = dict(help_screen.rows)
        for binding in MeetingScreen.BINDINGS:
            assert isinstance(binding, Binding)
            assert described[binding.key_display or binding.key] == binding.description
        assert described["4"] == "Event log"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is meeting

        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "Go to: Event log")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LogScreen)


async def test_an_unexpected_error_is_shown_in_the_ui_not_as_a_traceback(
    sqlite_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `coord tui` runs it: a failing action becomes an error message and the UI goes
    on (a worker's failure is always shown this way)."""

    def broken(self: MeetingsScreen) -> None:
        raise RuntimeError("the pathway list fell over")

    monkeypatch.setattr(MeetingsScreen, "action_next_pathway", broken)
    monkeypatch.delenv("COORD_DEBUG", raising=False)
    app = CoordApp(sqlite_workspace, poll_seconds=0, contain_errors=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("the pathway list fell over" in m for m in messages)
        await pilot.press("4")  # still working
        await settle(pilot)
        assert isinstance(app.screen, LogScreen)
    assert app.return_code in (0, None)
