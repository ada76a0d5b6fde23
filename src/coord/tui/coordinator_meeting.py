"""One SMDT meeting, as its coordinator prepares and runs it: the cases listed, each
required item present, missing or waived at the cutoff and now, the transfers behind a
missing item, and every event a coordinator records, from the keyboard."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from coord.app.meetings import (
    ActionStatus,
    CaseReadiness,
    ItemStatus,
    MeetingDetail,
    Site,
    TransferStatus,
    case_history,
    meeting_detail,
    sites,
    upcoming_meetings,
)
from coord.events import Event
from coord.reports.records import Meeting
from coord.tui import coordinator_forms as forms
from coord.tui.base import CoordScreen
from coord.tui.columns import add_columns
from coord.tui.forms import FormScreen
from coord.tui.workspace import format_local

STATE_MARKS = {"present": "✓ present", "missing": "✗ MISSING", "waived": "~ waived"}
#: how an item that is there now got there
ARRIVAL_MARKS = {"received": "✓ received", "transfer": "✓ transfer", "waived": "~ waived"}
METHODS = {"iep": "IEP", "pacs": "PACS", "email": "secure email"}


def readiness(case: CaseReadiness, at_cutoff: bool) -> str:
    missing = case.missing_at_cutoff if at_cutoff else case.missing_now
    if missing:
        return "missing " + ", ".join(missing)
    waived = sum(1 for i in case.items if (i.at_cutoff if at_cutoff else i.now) == "waived")
    return "ready" + (f" ({waived} waived)" if waived else "")


def age(hours: float) -> str:
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.1f} d"


class MeetingScreen(CoordScreen):
    HELP_TITLE = "MDT coordinator — a meeting"
    HELP = (
        "The cases listed for this meeting. 'at cutoff' and 'now' say whether every item "
        "the case's protocol requires was there (received, transferred or waived) by the "
        "meeting's cutoff, and is there now. Below: the highlighted case's items and the "
        "transfers requested for each, with their status, method, age and chases. Tab "
        "moves between the cases and the items; transfer keys act on the highlighted "
        "transfer. Every form checks the rules as you type; nothing is written if they "
        "refuse. The footer shows the main keys; ? lists them all."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="meeting.back"),
        Binding("m", "missing_filter", "Filter missing", id="meeting.filter"),
        Binding("l", "list_case", "List case", id="meeting.list"),
        Binding("i", "item_received", "Item received", id="meeting.item_received"),
        Binding("w", "item_waived", "Waive item", show=False, id="meeting.item_waived"),
        Binding("t", "request_transfer", "Request transfer", id="meeting.transfer"),
        Binding("s", "transfer_sent", "Sent", show=False, id="meeting.transfer_sent"),
        Binding("c", "chase", "Chase", id="meeting.chase"),
        Binding("v", "transfer_received", "Received", id="meeting.transfer_received"),
        Binding("x", "transfer_failed", "Failed", show=False, id="meeting.transfer_failed"),
        Binding("a", "attendance", "Attendance", show=False, id="meeting.attendance"),
        Binding("k", "technical_issue", "Technical issue", show=False, id="meeting.issue"),
        Binding("d", "discussed", "Discussed", id="meeting.discussed"),
        Binding("D", "deferred", "Deferred", key_display="D", id="meeting.deferred"),
        Binding("r", "relist", "Relist", id="meeting.relist"),
        Binding("g", "agree_action", "Agree action", show=False, id="meeting.action_agreed"),
        Binding(
            "G",
            "complete_action",
            "Complete action",
            key_display="G",
            show=False,
            id="meeting.action_completed",
        ),
        Binding("o", "outcome_communicated", "Outcome sent", show=False, id="meeting.outcome"),
        Binding("p", "timeline", "Patient timeline", show=False, id="meeting.timeline"),
    ]

    def __init__(
        self,
        meeting_id: str,
        detail: MeetingDetail | None = None,
        *,
        current: bool = False,
        sites: Sequence[Site] = (),
    ) -> None:
        """``detail``, when the meetings list has read it ahead, is shown at once; it is
        read again unless ``current`` (nothing appended to the log since). ``sites``
        (the forms' choices), when the list has them, are not read again."""
        super().__init__()
        self.meeting_id = meeting_id
        self._ahead = detail
        self._skip_reload = current and detail is not None
        self.detail: MeetingDetail | None = None
        self.shown: list[CaseReadiness] = []
        self.item_rows: list[tuple[ItemStatus | None, TransferStatus | None]] = []
        self.sites: list[Site] = list(sites)
        #: None: every case; "": cases missing any item now; else cases missing that item
        self.missing: str | None = None

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Meeting {self.meeting_id}", id="meeting-title", classes="title-bar")
        yield Static("loading…", id="meeting-summary")
        cases: DataTable[str] = DataTable(id="cases", cursor_type="row", zebra_stripes=True)
        add_columns(
            cases,
            [
                ("case", 16), ("patient", 9), ("site", 4), ("listing", 8), ("state", 9),
                ("at cutoff", 29), ("now", 29),
            ],
        )  # fmt: skip
        yield cases
        yield Static("", id="items-title", classes="panel-title")
        items: DataTable[str] = DataTable(id="items", cursor_type="row", zebra_stripes=True)
        add_columns(
            items,
            [
                ("item", 16), ("at cutoff", 10), ("now", 11), ("arrived", 16),
                ("transfer", 15), ("status", 9), ("method", 12), ("age", 6), ("chased", 6),
            ],
        )  # fmt: skip
        yield items
        yield Footer()

    def on_mount(self) -> None:
        if self._ahead is not None:
            self._show(self._ahead)
            self._ahead = None

    def _got_sites(self, found: list[Site]) -> None:
        self.sites = found

    # --- loading ------------------------------------------------------------------------

    def reload(self) -> None:
        if self._skip_reload:
            self._skip_reload = False
            return
        store, now, meeting_id = (
            self.workspace.database.store,
            self.workspace.now(),
            self.meeting_id,
        )
        self.background(lambda: meeting_detail(store, meeting_id, now=now), self._show)

    def _show(self, detail: MeetingDetail | None) -> None:
        if detail is None:
            self.notify(f"there is no meeting {self.meeting_id}", severity="error")
            return
        self.detail = detail
        if not self.sites:  # the forms' site choices; read once the cases are shown
            store = self.workspace.database.store
            self.background(lambda: sites(store), self._got_sites, group="sites")
        m, zone = detail.meeting, self.workspace.time_zone
        self.query_one("#meeting-title", Static).update(
            f"{m.meeting_id} · {m.pathway} · host {m.host_site} · "
            f"{format_local(m.scheduled_for, zone)} · cutoff {format_local(m.cutoff, zone)}"
        )
        self._show_summary()
        self._fill_cases()

    def _show_summary(self) -> None:
        assert self.detail is not None
        detail, m = self.detail, self.detail.meeting
        ready_cutoff = sum(1 for c in detail.cases if not c.missing_at_cutoff)
        ready_now = sum(1 for c in detail.cases if c.ready_now)
        present = ", ".join(sorted(m.sites_present)) or "nobody recorded"
        groups = ", ".join(sorted(m.groups_present)) or "-"
        which = (
            "every case"
            if self.missing is None
            else "cases missing an item"
            if self.missing == ""
            else f"cases missing {self.missing}"
        )
        self.query_one("#meeting-summary", Static).update(
            f"{len(detail.cases)} listed · ready at cutoff {ready_cutoff} · ready now "
            f"{ready_now} · showing {which} (m: filter)\n"
            f"present: {present} · groups: {groups} · technical issues: {m.technical_issues}"
        )

    def _fill_cases(self) -> None:
        assert self.detail is not None
        table: DataTable[str] = self.query_one("#cases", DataTable)
        keep = self.current_case()
        keep_id = keep.case.case_id if keep else None
        table.clear()
        self.shown = [c for c in self.detail.cases if self._wanted(c)]
        for case in self.shown:
            table.add_row(
                case.case.case_id,
                case.case.patient_id,
                case.case.presenting_site,
                case.listing.kind,
                case.state,
                readiness(case, at_cutoff=True),
                readiness(case, at_cutoff=False),
                key=case.case.case_id,
            )
        ids = [c.case.case_id for c in self.shown]
        if keep_id in ids:
            table.move_cursor(row=ids.index(keep_id))
        self._fill_items()

    def _wanted(self, case: CaseReadiness) -> bool:
        if self.missing is None:
            return True
        if self.missing == "":
            return bool(case.missing_now)
        return self.missing in case.missing_now

    def _fill_items(self) -> None:
        table: DataTable[str] = self.query_one("#items", DataTable)
        keep = table.cursor_row
        table.clear()
        self.item_rows = []
        case = self.current_case()
        title = self.query_one("#items-title", Static)
        if case is None:
            title.update("no case listed" if not self.shown else "")
            return
        title.update(
            f"Items of case {case.case.case_id} (protocol v{case.case.protocol_version}, "
            f"{case.case.pathway})"
        )
        zone, now = self.workspace.time_zone, self.workspace.now()
        for item in case.items:
            arrived, now_mark = "", STATE_MARKS[item.now]
            if item.arrival is not None:
                arrived = format_local(item.arrival.arrived_at, zone)
                if item.now != "missing":
                    now_mark = ARRIVAL_MARKS[item.arrival.arrived_by]
            first = (item.item, STATE_MARKS[item.at_cutoff], now_mark, arrived)
            if not item.transfers:
                self._item_row(table, (*first, "", "", "", "", ""), item, None)
            for n, transfer in enumerate(item.transfers):
                cells = first if n == 0 else ("", "", "", "")
                self._item_row(table, cells + self._transfer_cells(transfer, now), item, transfer)
        for transfer in case.other_transfers:
            cells = (transfer.transfer.item + " (not required)", "", "", "")
            self._item_row(table, cells + self._transfer_cells(transfer, now), None, transfer)
        if self.item_rows:
            table.move_cursor(row=min(keep, len(self.item_rows) - 1))

    @staticmethod
    def _transfer_cells(status: TransferStatus, now: datetime) -> tuple[str, ...]:
        t = status.transfer
        method = METHODS.get(t.method, t.method)
        return (t.transfer_id, status.state, method, age(status.age_hours(now)), str(t.chases))

    def _item_row(
        self,
        table: DataTable[str],
        cells: tuple[str, ...],
        item: ItemStatus | None,
        transfer: TransferStatus | None,
    ) -> None:
        table.add_row(*cells, key=f"{len(self.item_rows)}")
        self.item_rows.append((item, transfer))

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        if message.data_table.id == "cases":
            self._fill_items()

    # --- what the keys act on -----------------------------------------------------------

    def current_case(self) -> CaseReadiness | None:
        table: DataTable[str] = self.query_one("#cases", DataTable)
        if not self.shown or table.cursor_row >= len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def _current_item_row(self) -> tuple[ItemStatus | None, TransferStatus | None]:
        table: DataTable[str] = self.query_one("#items", DataTable)
        if not self.item_rows or table.cursor_row >= len(self.item_rows):
            return None, None
        return self.item_rows[table.cursor_row]

    def _items_focused(self) -> bool:
        return self.focused is self.query_one("#items", DataTable)

    def current_item(self) -> str:
        """The item the keys act on: the highlighted one when the items have the focus;
        from the cases, the filtered item if the case misses it, else its first missing
        item, else the highlighted one."""
        item, transfer = self._current_item_row()
        highlighted = item.item if item else transfer.transfer.item if transfer else ""
        if self._items_focused():
            return highlighted
        case = self.current_case()
        if case is not None and case.missing_now:
            if self.missing and self.missing in case.missing_now:
                return self.missing
            return case.missing_now[0]
        return highlighted

    def current_transfer(self) -> TransferStatus | None:
        """The transfer the keys act on: the highlighted one when the items have the focus;
        from the cases, the only open transfer of the current item (else the highlighted
        one)."""
        _, transfer = self._current_item_row()
        if self._items_focused():
            return transfer
        case = self.current_case()
        if case is None:
            return None
        item = self.current_item()
        open_ones = [
            t
            for i in case.items
            if i.item == item
            for t in i.transfers
            if t.state in ("requested", "sent")
        ]
        return open_ones[0] if len(open_ones) == 1 else transfer

    def _need_case(self) -> CaseReadiness | None:
        case = self.current_case()
        if case is None:
            self.notify("highlight a case first", severity="warning")
        return case

    def _need_transfer(self) -> TransferStatus | None:
        transfer = self.current_transfer()
        if transfer is None:
            self.notify(
                "highlight a transfer in the items below first (tab moves there)",
                severity="warning",
            )
        return transfer

    def _meeting(self) -> Meeting | None:
        return self.detail.meeting if self.detail else None

    def open_form(self, form: FormScreen) -> None:
        self.app.push_screen(form, self._recorded)

    def _recorded(self, event: Event | None) -> None:
        if event is not None:
            self.notify(f"recorded {event.type}", timeout=3)

    @property
    def _default_site(self) -> str:
        return self.workspace.actor.site or ""

    # --- actions ------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_missing_filter(self) -> None:
        if self.detail is None:
            return
        order: list[str | None] = [None, "", *self.detail.required_items]
        index = order.index(self.missing) if self.missing in order else 0
        self.missing = order[(index + 1) % len(order)]
        self._show_summary()
        self._fill_cases()

    def action_list_case(self) -> None:
        if (meeting := self._meeting()) is not None:
            self.open_form(forms.list_case(meeting, self.sites, self._default_site))

    def action_item_received(self) -> None:
        if (case := self._need_case()) is not None:
            self.open_form(forms.item_received(case, self.current_item()))

    def action_item_waived(self) -> None:
        if (case := self._need_case()) is not None:
            self.open_form(forms.item_waived(case, self.current_item()))

    def action_request_transfer(self) -> None:
        case, meeting = self._need_case(), self._meeting()
        if case is not None and meeting is not None:
            to_site = self._default_site or meeting.host_site
            self.open_form(forms.transfer_requested(case, self.current_item(), self.sites, to_site))

    def _transfer_step(self, step: str) -> None:
        if (transfer := self._need_transfer()) is not None:
            self.open_form(forms.transfer_step(step, transfer.transfer.transfer_id))

    def action_transfer_sent(self) -> None:
        self._transfer_step("sent")

    def action_chase(self) -> None:
        self._transfer_step("chase")

    def action_transfer_received(self) -> None:
        self._transfer_step("received")

    def action_transfer_failed(self) -> None:
        if (transfer := self._need_transfer()) is not None:
            self.open_form(forms.transfer_failed(transfer.transfer.transfer_id))

    def action_attendance(self) -> None:
        if (meeting := self._meeting()) is not None:
            self.open_form(
                forms.attendance(
                    meeting, self.sites, self._default_site, self.workspace.now(),
                    self.workspace.time_zone,
                )
            )  # fmt: skip

    def action_technical_issue(self) -> None:
        if (meeting := self._meeting()) is not None:
            self.open_form(
                forms.technical_issue(meeting, self.workspace.now(), self.workspace.time_zone)
            )

    def action_discussed(self) -> None:
        case, meeting = self._need_case(), self._meeting()
        if case is not None and meeting is not None:
            now, zone = self.workspace.now(), self.workspace.time_zone
            self.open_form(forms.discussed(case, meeting, now, zone))

    def action_deferred(self) -> None:
        case, meeting = self._need_case(), self._meeting()
        if case is not None and meeting is not None:
            now, zone = self.workspace.now(), self.workspace.time_zone
            self.open_form(forms.deferred(case, meeting, now, zone))

    def action_relist(self) -> None:
        case = self._need_case()
        if case is None:
            return
        store, now = self.workspace.database.store, self.workspace.now()

        def targets() -> list[Meeting]:
            listed = case_history(store, case.case.case_id).meetings
            return upcoming_meetings(store, pathway=case.case.pathway, after=now, exclude=listed)

        def show(meetings: list[Meeting]) -> None:
            if not meetings:
                self.notify(
                    f"no {case.case.pathway} meeting is scheduled after now that this case "
                    "has not been listed for",
                    severity="warning",
                )
                return
            self.open_form(forms.relisted(case, meetings, self.workspace.time_zone))

        self.background(targets, show, group="form-data")

    def _with_actions(
        self, make: Callable[[CaseReadiness, list[ActionStatus]], FormScreen | None]
    ) -> None:
        case = self._need_case()
        if case is None:
            return
        store = self.workspace.database.store

        def show(actions: list[ActionStatus]) -> None:
            form = make(case, actions)
            if form is not None:
                self.open_form(form)

        self.background(
            lambda: list(case_history(store, case.case.case_id).actions), show, group="form-data"
        )

    def action_agree_action(self) -> None:
        now = self.workspace.now()
        self._with_actions(
            lambda case, actions: forms.action_agreed(case, actions, self.sites, now)
        )

    def action_complete_action(self) -> None:
        def make(case: CaseReadiness, actions: list[ActionStatus]) -> FormScreen | None:
            if all(a.completed for a in actions):
                self.notify(f"case {case.case.case_id} has no open action", severity="warning")
                return None
            return forms.action_completed(case, actions)

        self._with_actions(make)

    def action_outcome_communicated(self) -> None:
        if (case := self._need_case()) is not None:
            self.open_form(forms.outcome_communicated(case, self.sites))

    def action_timeline(self) -> None:
        if (case := self._need_case()) is not None:
            from coord.tui.timeline import TimelineScreen

            self.app.push_screen(TimelineScreen(case.case.patient_id))
