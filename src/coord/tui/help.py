"""The help screen (``?``): every binding of the screen it was opened from."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label, Static

from coord.tui.columns import add_columns
from coord.tui.commands import WORKSPACES

ABOUT = (
    "coord keeps an append-only log of a cancer network's care coordination. Every form "
    "checks the same rules as `coord import`; nothing is written when a rule refuses an "
    "event. Mistakes are corrected by retracting an event (with a reason) from a timeline."
)


def _declared(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    rows = []
    for _, binding in BindingsMap(bindings):
        if binding.description:
            rows.append((binding.key_display or binding.key, binding.description))
    return rows


def help_rows(screen: Screen[object]) -> list[tuple[str, str]]:
    """(key, what it does): the screen's own bindings first, then the app's (workspaces,
    help, quit), then those of the widgets (moving around); each key once."""
    rows = _declared(type(screen).BINDINGS) + _declared(type(screen.app).BINDINGS)
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.description and not binding.system:
            rows.append((binding.key_display or binding.key, binding.description))
    unique: list[tuple[str, str]] = []
    keys: set[str] = set()
    for key, description in rows:
        if key not in keys:
            keys.add(key)
            unique.append((key, description))
    return unique


class HelpScreen(ModalScreen[None]):
    """Keys of the screen below, what they do, and how to move between workspaces."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss_help", "Close help", id="help.close"),
    ]

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self.for_screen = screen
        self.rows = help_rows(screen)

    def compose(self) -> ComposeResult:
        title = getattr(self.for_screen, "HELP_TITLE", None) or type(self.for_screen).__name__
        with VerticalScroll(id="help"):
            yield Label(f"Help: {title}", id="help-title")
            purpose = getattr(self.for_screen, "HELP", "")
            if purpose:
                yield Static(purpose, classes="help-text")
            table: DataTable[str] = DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            add_columns(table, [("key", 14), ("what it does", 60)])
            for key, description in self.rows:
                table.add_row(key, description)
            yield table
            workspaces = "  ".join(
                f"{i}: {title}" for i, (_, title, _) in enumerate(WORKSPACES, start=1)
            )
            yield Static(
                f"Workspaces — {workspaces}.  ctrl+p: command palette.  escape: back.",
                classes="help-text",
            )
            yield Static(ABOUT, classes="help-text")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
