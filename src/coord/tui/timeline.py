"""A patient's timeline: every event about the patient across every stream and site,
oldest first, a page at a time; retracted events struck through with the retraction's
reason; ``r`` retracts the highlighted event (with a reason, checked by the rules)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static

from coord.app.timeline import TimelineEntry, TimelinePage, summary, timeline_page
from coord.events import Event
from coord.events.types import EventRetracted
from coord.tui.base import CoordScreen
from coord.tui.columns import fill_table
from coord.tui.forms import FormField, FormScreen, data_builder
from coord.tui.workspace import format_local

PAGE_SIZE = 100
#: the summary column is cut to this width (so that a row fits 120 columns)
WHAT_WIDTH = 28
#: the table's columns, (key, heading)
COLUMNS = [
    ("when", "occurred (local)"),
    ("subject", "about"),
    ("type", "event"),
    ("what", "what"),
    ("actor", "recorded by"),
]


class TimelineScreen(CoordScreen):
    """One patient's events, every stream and site, in the order the log holds them."""

    HELP_TITLE = "Patient timeline"
    HELP = (
        "Every event about one patient — registration, referrals, cases, transfers and "
        "handovers, at every site — oldest first. A retracted event is struck through, "
        "with the retraction's reason. Retracting records an EventRetracted: the rules "
        "check it exactly as an import would (a stream's opening event can only be "
        "retracted after the rest of the stream, a retraction cannot be retracted)."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="timeline.back"),
        Binding("r", "retract", "Retract event", id="timeline.retract"),
        Binding("n", "next_page", "Next page", id="timeline.next"),
        Binding("b", "previous_page", "Previous page", id="timeline.previous"),
    ]

    def __init__(self, patient_id: str) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.page_offset = 0
        self.page: TimelinePage | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Timeline of patient {self.patient_id}", classes="title-bar")
        yield Static("loading…", id="timeline-status", classes="status-line")
        table: DataTable[str | Text] = DataTable(
            id="timeline", cursor_type="row", zebra_stripes=True
        )
        fill_table(table, COLUMNS, [], widths={"what": WHAT_WIDTH})  # headings while loading
        yield table
        yield Static("", id="timeline-detail")
        yield Footer()

    # --- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        patient, offset, store = self.patient_id, self.page_offset, self.workspace.database.store
        self.background(
            lambda: timeline_page(store, patient, offset=offset, limit=PAGE_SIZE), self.show
        )

    def show(self, page: TimelinePage) -> None:
        if page.entries == () and page.total > 0 and page.offset > 0:
            self.page_offset = max(0, page.total - PAGE_SIZE)  # the timeline shrank under us
            self.reload()
            return
        self.page = page
        table = self.query_one("#timeline", DataTable)
        row = table.cursor_row
        positions = {entry.event.event_id: entry.position for entry in page.entries}
        fill_table(
            table,
            COLUMNS,
            [(entry.event.event_id, self._cells(entry, positions)) for entry in page.entries],
            widths={"what": WHAT_WIDTH},
        )
        if page.entries:
            table.move_cursor(row=min(row, len(page.entries) - 1))
        self.query_one("#timeline-status", Static).update(self._status(page))
        self._show_detail()

    def _status(self, page: TimelinePage) -> str:
        if page.total == 0:
            return f"no events about patient {self.patient_id} in the log"
        first = page.offset + 1
        last = page.offset + len(page.entries)
        retracted = sum(1 for e in page.entries if e.retracted_by is not None)
        streams = len(page.streams)
        return (
            f"events {first}–{last} of {page.total} · {streams} streams · "
            f"{retracted} retracted on this page"
        )

    def _cells(self, entry: TimelineEntry, positions: dict[str, int]) -> list[str | Text]:
        event = entry.event
        zone = self.workspace.time_zone
        actor = event.actor.as_json() if event.actor else {}
        by = actor.get("user", "")
        what = summary(event)
        data = event.data
        if isinstance(data, EventRetracted) and data.event_id in positions:
            what = f"retracts #{positions[data.event_id]}: {data.reason}"
        cells: list[str | Text] = [
            format_local(event.occurred_at, zone),
            entry.stream.partition(":")[2],
            event.type,
            what,
            by,
        ]
        if entry.retracted_by is not None:
            struck = [Text(str(c), style="strike dim") for c in cells]
            struck[3] = Text.assemble(
                (f"✗ retracted: {entry.retracted_by.reason} ", "bold red"), (what, "strike dim")
            )
            return list(struck)
        if entry.is_retraction:
            cells[2] = Text(event.type, style="bold red")
        return cells

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        """The highlighted event in full, under the table (the row is cut to fit)."""
        entry = self.highlighted()
        detail = self.query_one("#timeline-detail", Static)
        if entry is None:
            detail.update("")
            return
        event = entry.event
        zone = self.workspace.time_zone
        actor = event.actor.as_json() if event.actor else {}
        who = ", ".join(actor.values()) or "no actor recorded"
        text = Text.assemble(
            (f"#{entry.position} {event.type}", "bold"),
            f" · {entry.stream} · occurred {format_local(event.occurred_at, zone)}"
            f" · recorded {format_local(event.recorded_at, zone)} by {who}\n",
            summary(event) or "(no further details)",
        )
        if entry.retracted_by is not None:
            retraction = entry.retracted_by.event
            text.append(
                f"\nretracted {format_local(retraction.occurred_at, zone)}: "
                f"{entry.retracted_by.reason}",
                style="bold red",
            )
        detail.update(text)

    # --- actions -------------------------------------------------------------------------

    def highlighted(self) -> TimelineEntry | None:
        if self.page is None or not self.page.entries:
            return None
        table = self.query_one("#timeline", DataTable)
        index = table.cursor_row
        if 0 <= index < len(self.page.entries):
            return self.page.entries[index]
        return None

    def action_retract(self) -> None:
        entry = self.highlighted()
        if entry is None:
            self.notify("no event highlighted", severity="warning")
            return
        target = entry.event
        form = FormScreen(
            f"Retract {target.type} of {format_local(target.occurred_at, self.workspace.time_zone)}"
            f" ({target.event_id})",
            [FormField("reason", "Reason")],
            data_builder(EventRetracted, fixed={"event_id": target.event_id}),
        )
        self.app.push_screen(form, self._retracted)

    def _retracted(self, event: Event | None) -> None:
        if event is not None:
            self.notify(f"retracted: {summary(event)}", title="recorded")
            self.reload()

    def action_next_page(self) -> None:
        if self.page is not None and self.page_offset + PAGE_SIZE < self.page.total:
            self.page_offset += PAGE_SIZE
            self.reload()

    def action_previous_page(self) -> None:
        if self.page_offset > 0:
            self.page_offset = max(0, self.page_offset - PAGE_SIZE)
            self.reload()

    def action_back(self) -> None:
        self.dismiss(None)
