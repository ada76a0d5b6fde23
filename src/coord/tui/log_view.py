"""The live event log: every event as recorded, newest first, a page at a time; new
events appear at the top as they are appended (by this app or another process)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from coord.app.event_log import LogEntry, log_page
from coord.tui.base import CoordScreen
from coord.tui.columns import add_columns
from coord.tui.workspace import format_local

PAGE = 100


class LogScreen(CoordScreen):
    HELP_TITLE = "Event log"
    HELP = (
        "Every event in the log, newest first: its global position, when it was recorded "
        "and when it occurred (network time), its type and stream, who recorded it and its "
        "data. Retracted events are marked. Scrolling to the end loads older events."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "newest", "Newest", id="log.newest"),
        Binding("m", "more", "Older events", id="log.more"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[LogEntry] = []
        self._exhausted = False
        self._loading = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Event log — newest first", classes="title-bar")
        table: DataTable[str] = DataTable(id="log", cursor_type="row", zebra_stripes=True)
        add_columns(
            table,
            [
                ("#", 7), ("recorded", 19), ("occurred", 16), ("type", 30), ("stream", 28),
                ("data", 70), ("by", 24),
            ],
        )  # fmt: skip
        yield table
        yield Static("", id="log-status", classes="status-line")
        yield Footer()

    def reload(self) -> None:
        self._loading = True
        store = self.workspace.database.store
        self.background(lambda: log_page(store, limit=PAGE), self._show_first)

    def _show_first(self, entries: list[LogEntry]) -> None:
        self._loading = False
        self.entries = []
        self._exhausted = False
        self.query_one("#log", DataTable).clear()
        self._append(entries)

    def _append(self, entries: list[LogEntry]) -> None:
        table: DataTable[str] = self.query_one("#log", DataTable)
        zone = self.workspace.time_zone
        for entry in entries:
            event = entry.event
            kind = event.type + (" (retracted)" if entry.retracted_because else "")
            actor = event.actor.user if event.actor and event.actor.user else ""
            details = entry.details
            if entry.retracted_because:
                details = f"retracted: {entry.retracted_because} · {details}"
            table.add_row(
                str(entry.position),
                format_local(event.recorded_at, zone, seconds=True),
                format_local(event.occurred_at, zone),
                kind,
                entry.stream,
                details if len(details) <= 70 else details[:69] + "…",
                actor,
                key=str(entry.position),
            )
        self.entries.extend(entries)
        self._exhausted = len(entries) < PAGE
        shown = len(self.entries)
        more = "" if self._exhausted else " · scroll to the end or press m for older ones"
        self.query_one("#log-status", Static).update(
            f"{shown} event(s) shown, head at position {self.coord_app.head}{more}"
        )

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        if message.cursor_row >= len(self.entries) - 5:
            self.action_more()

    def action_more(self) -> None:
        if self._loading or self._exhausted or not self.entries:
            return
        self._loading = True
        before = self.entries[-1].position
        store = self.workspace.database.store
        self.background(
            lambda: log_page(store, before=before, limit=PAGE), self._show_more, group="more"
        )

    def _show_more(self, entries: list[LogEntry]) -> None:
        self._loading = False
        self._append(entries)

    def action_newest(self) -> None:
        self.query_one("#log", DataTable).move_cursor(row=0)
