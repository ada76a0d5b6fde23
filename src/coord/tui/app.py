"""The coord terminal UI: one app, four workspaces (modes), polling the log so that what
another process appends, or a time zone it stores, shows up without a restart."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from textual.app import App
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.signal import Signal

from coord.tui.actor import describe_actor
from coord.tui.commands import WORKSPACES, CoordCommands
from coord.tui.forms import describe_failure
from coord.tui.help import HelpScreen
from coord.tui.workspace import Workspace


def _coordinator() -> Screen[None]:
    from coord.tui.coordinator import MeetingsScreen

    return MeetingsScreen()


def _navigator() -> Screen[None]:
    from coord.tui.navigator import NavigatorScreen

    return NavigatorScreen()


def _auditor() -> Screen[None]:
    from coord.tui.auditor import AuditorScreen

    return AuditorScreen()


def _log() -> Screen[None]:
    from coord.tui.log_view import LogScreen

    return LogScreen()


MODE_NAMES = tuple(mode for mode, _, _ in WORKSPACES)


class CoordApp(App[None]):
    """``coord tui``: the MDT coordinator, patient navigator and auditor workspaces and the
    live event log, over one database, recording as one actor."""

    TITLE = "coord"
    CSS_PATH = "coord.tcss"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[None]]]] = {
        "coordinator": _coordinator,
        "navigator": _navigator,
        "auditor": _auditor,
        "log": _log,
    }
    COMMANDS = App.COMMANDS | {CoordCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "switch_mode('coordinator')", "Coordinator", id="app.coordinator"),
        Binding("2", "switch_mode('navigator')", "Navigator", id="app.navigator"),
        Binding("3", "switch_mode('auditor')", "Auditor", id="app.auditor"),
        Binding("4", "switch_mode('log')", "Event log", id="app.log"),
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]

    def __init__(
        self,
        workspace: Workspace,
        *,
        poll_seconds: float = 1.0,
        mode: str = "coordinator",
        contain_errors: bool = False,
    ) -> None:
        """``contain_errors`` (``coord tui`` sets it): an unexpected error in a key's
        action is shown as an error message and the UI goes on, instead of the app
        exiting with a traceback (``COORD_DEBUG=1`` restores that). Database work in
        workers always reports failures in the UI."""
        if mode not in MODE_NAMES:
            raise ValueError(f"no workspace {mode!r}; choose one of {', '.join(MODE_NAMES)}")
        super().__init__()
        self.workspace = workspace
        self.poll_seconds = poll_seconds
        self.initial_mode = mode
        self.contain_errors = contain_errors
        #: the global position last seen (screens compare it to know they are stale)
        self.head = 0
        #: published with the new head whenever the log's global position changes, or the
        #: network's time zone does (``coord init --tz`` from another process): either
        #: way every screen reads again what it shows
        self.log_advanced: Signal[int] = Signal(self, "log_advanced")
        self.sub_title = describe_actor(workspace.actor)

    def on_mount(self) -> None:
        try:
            self.head = self.workspace.head()
        except Exception as error:
            self.notify(describe_failure(error), severity="error", timeout=10)
        self.switch_mode(self.initial_mode)
        if self.poll_seconds > 0:
            self.set_interval(self.poll_seconds, self.check_log, name="poll-log")

    # --- the log advancing ------------------------------------------------------------

    def check_log(self) -> None:
        """Read the log's head and the network's time zone in a worker; publish
        :attr:`log_advanced` if either changed."""
        self.run_worker(
            self._read_head, thread=True, exclusive=True, group="poll", exit_on_error=False
        )

    def _read_head(self) -> None:
        try:
            head, zone = self.workspace.database.head_and_time_zone()
        except Exception as error:
            self.call_from_thread(self._poll_failed, error)
            return
        self.call_from_thread(self._advance, head, zone)

    def _advance(self, head: int, zone: ZoneInfo) -> None:
        database = self.workspace.database
        moved = zone.key != database.time_zone.key
        if moved:
            # set here, on the UI thread, so that a screen is drawn in one zone throughout
            database.time_zone = zone
        if head != self.head or moved:
            self.head = head
            self.log_advanced.publish(head)

    def _poll_failed(self, error: Exception) -> None:
        self.notify(f"cannot read the log: {describe_failure(error)}", severity="error", timeout=5)

    async def _dispatch_action(self, namespace: DOMNode, action_name: str, params: Any) -> bool:
        """Run a key's action; with ``contain_errors``, an unexpected error in it is shown
        as an error message and the UI goes on."""
        if not self.contain_errors or os.environ.get("COORD_DEBUG"):
            return await super()._dispatch_action(namespace, action_name, params)
        try:
            return await super()._dispatch_action(namespace, action_name, params)
        except Exception as error:
            self.log.error(f"contained: {error!r}")
            self.notify(
                f"{describe_failure(error)} — what you asked for was not done",
                title="coord",
                severity="error",
                timeout=15,
            )
            return True

    # --- keys ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # workspace keys and help do nothing over a form or dialog
        over_a_dialog = isinstance(self.screen, ModalScreen)
        return not (action in ("switch_mode", "help") and over_a_dialog)

    async def action_switch_mode(self, mode: str) -> None:
        try:
            await self.switch_mode(mode)
        except Exception as error:
            self.notify(f"cannot open {mode}: {describe_failure(error)}", severity="error")

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.screen))
