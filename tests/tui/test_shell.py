"""The app shell: workspaces (modes), the actor on every event, recording and checking
through the workspace, help, and the log advancing."""

from __future__ import annotations

import pytest

from coord.app.recording import EventRejected
from coord.events.types import TransferChased
from coord.tui.coordinator import MeetingsScreen
from coord.tui.help import HelpScreen
from coord.tui.log_view import LogScreen
from coord.tui.workspace import Workspace

from .conftest import AppFactory

CHASEABLE = "TR-PT00003-imaging"


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
