"""The patient navigator's workspace: the handover board (awaiting acknowledgement,
overdue, declined, acknowledged but not completed) with acknowledge, decline and complete
from the board; the outstanding transfers; and any patient's timeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from coord.app.handovers import (
    BoardColumn,
    BoardPage,
    age,
    board_counts,
    describe_age,
    load_board,
)
from coord.app.transfers import TransferPage, count_outstanding, outstanding_transfers
from coord.events import Event, EventData
from coord.events.types import (
    HandoverAcknowledged,
    HandoverCompleted,
    HandoverDeclined,
    TransferChased,
)
from coord.reports.records import Handover, Transfer
from coord.tui.base import CoordScreen
from coord.tui.columns import fill_table
from coord.tui.forms import FormField, FormScreen, data_builder
from coord.tui.prompt import PromptScreen
from coord.tui.timeline import TimelineScreen
from coord.tui.workspace import format_local

PAGE_SIZE = 50
TRANSFERS = "transfers"
#: the board's tabs: each column, then the outstanding transfers
TABS: tuple[tuple[str, str], ...] = (
    *((column.name, column.value) for column in BoardColumn),
    (TRANSFERS, "outstanding transfers"),
)
#: the tables' columns, (key, heading)
TRANSFER_COLUMNS = [
    (label, label)
    for label in (
        "transfer", "patient", "item", "from → to", "method", "requested", "age", "sent",
        "chases",
    )
]  # fmt: skip
HANDOVER_COLUMNS = [
    (label, label) for label in ("handover", "patient", "from → to", "initiated", "age", "answered")
]


@dataclass(frozen=True, slots=True)
class BoardView:
    """What one load of the board returns: the counts and the current tab's page."""

    now: datetime
    counts: Mapping[BoardColumn, int]
    transfers_total: int
    page: BoardPage | TransferPage


class NavigatorScreen(CoordScreen):
    """The handover board and the outstanding transfers."""

    HELP_TITLE = "Patient navigator"
    HELP = (
        "The handover board: handovers awaiting acknowledgement (with their age), overdue "
        "ones (not acknowledged within 48 hours), declined ones, and those acknowledged "
        "but not yet completed. Acknowledge, decline or complete the highlighted handover; "
        "chase an outstanding transfer; open the timeline of the highlighted patient or of "
        "any patient by id. 's' limits everything to one site (from or to it)."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "acknowledge", "Acknowledge", id="navigator.acknowledge"),
        Binding("d", "decline", "Decline", id="navigator.decline"),
        Binding("c", "complete", "Complete", id="navigator.complete"),
        Binding("x", "chase", "Chase transfer", id="navigator.chase"),
        Binding("t", "timeline", "Timeline", id="navigator.timeline"),
        Binding("p", "patient", "Patient…", id="navigator.patient", show=False),
        Binding("s", "site", "Site filter", id="navigator.site"),
        Binding("right_square_bracket", "next_tab", "Next tab", key_display="]", show=False),
        Binding("left_square_bracket", "previous_tab", "Previous tab", key_display="[", show=False),
        Binding("n", "next_page", "Next page", id="navigator.next", show=False),
        Binding("b", "previous_page", "Previous page", id="navigator.previous", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.site: str | None = None
        self.offsets: dict[str, int] = {name: 0 for name, _ in TABS}
        self.view: BoardView | None = None

    def compose(self) -> ComposeResult:
        yield Static("Patient navigator — handover board", classes="title-bar")
        yield Static("loading…", id="navigator-status", classes="status-line")
        with TabbedContent(id="board"):
            for name, title in TABS:
                with TabPane(title, id=f"tab-{name}"):
                    table: DataTable[str | Text] = DataTable(
                        id=f"table-{name}", cursor_type="row", zebra_stripes=True
                    )
                    # headings shown while the board loads
                    fill_table(
                        table, TRANSFER_COLUMNS if name == TRANSFERS else HANDOVER_COLUMNS, []
                    )
                    yield table
        yield Footer()

    @property
    def tab(self) -> str:
        active = self.query_one("#board", TabbedContent).active
        return active.removeprefix("tab-") if active else TABS[0][0]

    def on_tabbed_content_tab_activated(self, _: TabbedContent.TabActivated) -> None:
        self.reload()
        self.query_one(f"#table-{self.tab}", DataTable).focus()

    # --- loading -------------------------------------------------------------------------

    def reload(self) -> None:
        store = self.workspace.database.store
        now, site, tab = self.workspace.now(), self.site, self.tab
        offset = self.offsets[tab]

        def load() -> BoardView:
            if tab == TRANSFERS:
                counts = board_counts(store, now, site=site)
                transfers = outstanding_transfers(store, site=site, offset=offset, limit=PAGE_SIZE)
                return BoardView(now, counts, transfers.total, transfers)
            counts, page = load_board(
                store, BoardColumn[tab], now, site=site, offset=offset, limit=PAGE_SIZE
            )
            total = count_outstanding(store, site=site)
            return BoardView(now, counts, total, page)

        self.background(load, self.show)

    def show(self, view: BoardView) -> None:
        self.view = view
        tabs = self.query_one("#board", TabbedContent)
        for column in BoardColumn:
            tabs.get_tab(f"tab-{column.name}").label = f"{column.value} ({view.counts[column]})"
        tabs.get_tab(f"tab-{TRANSFERS}").label = f"outstanding transfers ({view.transfers_total})"
        page = view.page
        name = TRANSFERS if isinstance(page, TransferPage) else page.column.name
        table = self.query_one(f"#table-{name}", DataTable)
        row = table.cursor_row
        if isinstance(page, TransferPage):
            fill_table(
                table,
                TRANSFER_COLUMNS,
                [(t.transfer_id, self._transfer_cells(t, view.now)) for t in page.transfers],
            )
            shown, total = len(page.transfers), page.total
        else:
            column = page.column
            cells = [
                (h.handover_id, self._handover_cells(h, view.now, column)) for h in page.handovers
            ]
            fill_table(table, HANDOVER_COLUMNS, cells)
            shown, total = len(page.handovers), page.total
        if shown:
            table.move_cursor(row=min(row, shown - 1))
        where = f"site {self.site}" if self.site else "all sites"
        rows = f"rows {page.offset + 1}–{page.offset + shown} of {total}" if shown else "none"
        self.query_one("#navigator-status", Static).update(
            f"{where} · now {format_local(view.now, self.workspace.time_zone)} · {rows}"
        )

    def _handover_cells(
        self, handover: Handover, now: datetime, column: BoardColumn
    ) -> list[str | Text]:
        zone = self.workspace.time_zone
        waited = describe_age(age(handover, now))
        if handover.declined_at is not None:
            answered = f"declined {format_local(handover.declined_at, zone)}"
        elif handover.acknowledged_at is not None:
            answered = f"acknowledged {format_local(handover.acknowledged_at, zone)}"
        else:
            answered = "not yet"
        age_cell: str | Text = waited
        if column is BoardColumn.overdue:
            age_cell = Text(waited, style="bold red")
        return [
            handover.handover_id,
            handover.patient_id,
            f"{handover.from_site} → {handover.to_site}",
            format_local(handover.initiated_at, zone),
            age_cell,
            answered,
        ]

    def _transfer_cells(self, transfer: Transfer, now: datetime) -> list[str | Text]:
        zone = self.workspace.time_zone
        return [
            transfer.transfer_id,
            transfer.patient_id,
            transfer.item,
            f"{transfer.from_site} → {transfer.to_site}",
            transfer.method,
            format_local(transfer.requested_at, zone),
            describe_age(now - transfer.requested_at),
            format_local(transfer.sent_at, zone) or "not sent",
            str(transfer.chases),
        ]

    # --- the highlighted row -------------------------------------------------------------

    def highlighted(self) -> Handover | Transfer | None:
        if self.view is None:
            return None
        page = self.view.page
        items: tuple[Handover | Transfer, ...] = (
            page.transfers if isinstance(page, TransferPage) else page.handovers
        )
        shown_tab = TRANSFERS if isinstance(page, TransferPage) else page.column.name
        if shown_tab != self.tab:
            return None
        index = self.query_one(f"#table-{self.tab}", DataTable).cursor_row
        return items[index] if 0 <= index < len(items) else None

    def _handover(self) -> Handover | None:
        item = self.highlighted()
        if isinstance(item, Handover):
            return item
        self.notify("highlight a handover on the board first", severity="warning")
        return None

    # --- recording -----------------------------------------------------------------------

    def _record(
        self, title: str, model: type[EventData], subject: dict[str, str], fields: list[FormField]
    ) -> None:
        form = FormScreen(title, fields, data_builder(model, fixed=subject))
        self.app.push_screen(form, self._recorded)

    def _recorded(self, event: Event | None) -> None:
        if event is not None:
            self.notify(f"{event.type} recorded", title="recorded")
            self.reload()

    def action_acknowledge(self) -> None:
        handover = self._handover()
        if handover is not None:
            self._record(
                f"Acknowledge handover {handover.handover_id} ({handover.patient_id}, "
                f"{handover.from_site} → {handover.to_site})",
                HandoverAcknowledged,
                {"handover_id": handover.handover_id},
                [],
            )

    def action_decline(self) -> None:
        handover = self._handover()
        if handover is not None:
            self._record(
                f"Decline handover {handover.handover_id} ({handover.patient_id})",
                HandoverDeclined,
                {"handover_id": handover.handover_id},
                [FormField("reason", "Reason")],
            )

    def action_complete(self) -> None:
        handover = self._handover()
        if handover is not None:
            self._record(
                f"Complete handover {handover.handover_id} ({handover.patient_id})",
                HandoverCompleted,
                {"handover_id": handover.handover_id},
                [],
            )

    def action_chase(self) -> None:
        item = self.highlighted()
        if not isinstance(item, Transfer):
            self.notify("highlight an outstanding transfer first", severity="warning")
            return
        self._record(
            f"Chase transfer {item.transfer_id} ({item.item}, {item.from_site} → {item.to_site})",
            TransferChased,
            {"transfer_id": item.transfer_id},
            [],
        )

    # --- moving around -------------------------------------------------------------------

    def action_timeline(self) -> None:
        item = self.highlighted()
        if item is None:
            self.notify("highlight a handover or transfer first", severity="warning")
            return
        self.app.push_screen(TimelineScreen(item.patient_id))

    def action_patient(self) -> None:
        def opened(patient_id: str | None) -> None:
            if patient_id:
                self.app.push_screen(TimelineScreen(patient_id))

        self.app.push_screen(PromptScreen("Open the timeline of patient (id)"), opened)

    def action_site(self) -> None:
        def chosen(site: str | None) -> None:
            if site is None:
                return
            self.site = site or None
            self.offsets = dict.fromkeys(self.offsets, 0)
            self.reload()

        default = self.site or self.workspace.actor.site or ""
        self.app.push_screen(
            PromptScreen(
                "Only handovers and transfers from or to site (empty: all sites)",
                value=default,
            ),
            chosen,
        )

    def action_next_tab(self) -> None:
        self._move_tab(1)

    def action_previous_tab(self) -> None:
        self._move_tab(-1)

    def _move_tab(self, step: int) -> None:
        names = [name for name, _ in TABS]
        index = (names.index(self.tab) + step) % len(names)
        self.query_one("#board", TabbedContent).active = f"tab-{names[index]}"

    def action_next_page(self) -> None:
        view = self.view
        if view is not None and self.offsets[self.tab] + PAGE_SIZE < view.page.total:
            self.offsets[self.tab] += PAGE_SIZE
            self.reload()

    def action_previous_page(self) -> None:
        if self.offsets[self.tab] > 0:
            self.offsets[self.tab] = max(0, self.offsets[self.tab] - PAGE_SIZE)
            self.reload()
