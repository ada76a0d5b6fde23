"""The MDT coordinator's workspace: meetings by pathway and date, upcoming first.
Opening one shows its cases (:mod:`coord.tui.coordinator_meeting`)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Static

from coord.app.meetings import (
    MeetingDetail,
    MeetingsPage,
    MeetingSummary,
    Site,
    meeting_detail,
    meetings_page,
    pathways,
    sites,
)
from coord.events import Event
from coord.tui import coordinator_forms as forms
from coord.tui.base import CoordScreen
from coord.tui.columns import add_columns
from coord.tui.workspace import format_local

PAGE = 50
#: seconds the cursor rests on a meeting before its cases are read ahead
PREFETCH_AFTER = 0.15


class MeetingsScreen(CoordScreen):
    HELP_TITLE = "MDT coordinator — meetings"
    HELP = (
        "SMDT meetings, upcoming first (soonest at the top), then past ones (most recent "
        "first). 'listed' counts the cases listed for a meeting, 'ready' those with every "
        "required item there by the cutoff. Enter opens a meeting's cases; n schedules "
        "a new meeting."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_meeting", "Open meeting", id="meetings.open"),
        Binding("p", "next_pathway", "Pathway filter", id="meetings.pathway"),
        Binding("n", "schedule", "Schedule meeting", id="meetings.schedule"),
        Binding("m", "more", "More meetings", show=False, id="meetings.more"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pathway: str | None = None
        self.pathways: list[str] = []
        self.sites: list[Site] = []
        self.rows: list[MeetingSummary] = []
        self.total = 0
        self.upcoming = 0
        self._loading = False
        self.prefetched: MeetingDetail | None = None
        self._prefetch_timer: Timer | None = None
        #: the log's head when the meeting read ahead was read
        self._prefetch_head = -1

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="meetings-title", classes="title-bar")
        table: DataTable[str] = DataTable(id="meetings", cursor_type="row", zebra_stripes=True)
        add_columns(
            table,
            [
                ("when", 16), ("meeting", 18), ("pathway", 18), ("host", 5), ("cutoff", 16),
                ("listed", 6), ("ready", 5), ("discussed", 9), ("deferred", 8),
            ],
        )  # fmt: skip
        yield table
        yield Static("", id="meetings-status", classes="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self._title()
        store = self.workspace.database.store
        self.background(lambda: pathways(store), self._got_pathways, group="pathways")
        self.background(lambda: sites(store), self._got_sites, group="sites")

    def _got_pathways(self, found: list[str]) -> None:
        self.pathways = found

    def _got_sites(self, found: list[Site]) -> None:
        self.sites = found

    def action_schedule(self) -> None:
        host = self.workspace.actor.site or ""
        self.app.push_screen(
            forms.meeting_scheduled(self.pathways, self.sites, self.pathway, host),
            self._scheduled,
        )

    def _scheduled(self, event: Event | None) -> None:
        if event is not None:
            self.notify(f"scheduled {event.subject}", timeout=3)

    def _title(self) -> None:
        which = self.pathway or "every pathway"
        self.query_one("#meetings-title", Static).update(f"Meetings — {which} (p: change pathway)")

    def reload(self) -> None:
        self.prefetched = None
        self._load(0)

    def _load(self, offset: int) -> None:
        self._loading = True
        store, now, pathway = self.workspace.database.store, self.workspace.now(), self.pathway
        self.background(
            lambda: meetings_page(store, now=now, pathway=pathway, offset=offset, limit=PAGE),
            lambda page: self._show(page, offset),
        )

    def _show(self, page: MeetingsPage, offset: int) -> None:
        self._loading = False
        table: DataTable[str] = self.query_one("#meetings", DataTable)
        keep = self._current_id() if offset == 0 else None
        if offset == 0:
            table.clear()
            self.rows = []
        zone = self.workspace.time_zone
        for row in page.rows:
            m = row.meeting
            table.add_row(
                format_local(m.scheduled_for, zone),
                m.meeting_id,
                m.pathway,
                m.host_site,
                format_local(m.cutoff, zone),
                str(row.listed),
                str(row.ready_at_cutoff),
                str(row.discussed),
                str(row.deferred),
                key=m.meeting_id,
            )
        self.rows.extend(page.rows)
        self.total, self.upcoming = page.total, page.upcoming
        if keep is not None and keep in {r.meeting.meeting_id for r in self.rows}:
            table.move_cursor(row=table.get_row_index(keep))
        self.query_one("#meetings-status", Static).update(
            f"{self.upcoming} upcoming, {self.total - self.upcoming} past · "
            f"{len(self.rows)} shown"
            + ("" if len(self.rows) >= self.total else " · scroll down for more")
        )

    def _current_id(self) -> str | None:
        table: DataTable[str] = self.query_one("#meetings", DataTable)
        if not self.rows or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row].meeting.meeting_id

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        if message.cursor_row >= len(self.rows) - 5:
            self.action_more()
        # read the highlighted meeting ahead, once the cursor rests on it, so that Enter
        # shows its cases at once (the meeting screen still reloads them)
        if self._prefetch_timer is not None:
            self._prefetch_timer.stop()
        self._prefetch_timer = self.set_timer(PREFETCH_AFTER, self._prefetch)

    def _prefetch(self) -> None:
        meeting_id = self._current_id()
        if meeting_id is None or (
            self.prefetched is not None and self.prefetched.meeting.meeting_id == meeting_id
        ):
            return
        store, now = self.workspace.database.store, self.workspace.now()
        self._prefetch_head = self.coord_app.head
        self.background(
            lambda: meeting_detail(store, meeting_id, now=now), self._got_ahead, group="ahead"
        )

    def _got_ahead(self, detail: MeetingDetail | None) -> None:
        self.prefetched = detail

    def on_data_table_row_selected(self, message: DataTable.RowSelected) -> None:
        message.stop()
        self.action_open_meeting()

    def action_more(self) -> None:
        if not self._loading and len(self.rows) < self.total:
            self._load(len(self.rows))

    def action_next_pathway(self) -> None:
        choices: list[str | None] = [None, *self.pathways]
        index = choices.index(self.pathway) if self.pathway in choices else 0
        self.pathway = choices[(index + 1) % len(choices)]
        self._title()
        self.reload()

    def action_open_meeting(self) -> None:
        meeting_id = self._current_id()
        if meeting_id is None:
            return
        from coord.tui.coordinator_meeting import MeetingScreen

        ahead = self.prefetched
        if ahead is not None and ahead.meeting.meeting_id != meeting_id:
            ahead = None
        # nothing appended since it was read: the meeting screen need not read it again
        # (an append noticed later reloads it, as on any screen)
        current = ahead is not None and self._prefetch_head == self.coord_app.head
        self.app.push_screen(MeetingScreen(meeting_id, ahead, current=current, sites=self.sites))
