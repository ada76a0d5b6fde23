"""The auditor's workspace: the SPEC's five reports with a period and a ``--by`` key, the
information-gaps query with site and pathway filters (Enter on a gap opens the patient's
timeline), an "as of" instant (the log as the store knew it then), monthly trend charts,
and the table on screen saved as CSV (the same shape as ``coord report --format csv``)."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, DataTable, Footer, Input, Label, Select, Static
from textual_plotext import PlotextPlot

from coord.app.auditing import (
    CHART,
    GAPS,
    AuditQuery,
    AuditResult,
    default_period,
    heading,
    run_query,
    table_of,
)
from coord.app.rendering import OutputFormat, render
from coord.app.trends import TRENDS, Trend
from coord.reports import REPORTS, GapsReport
from coord.tui.base import CoordScreen
from coord.tui.columns import fill_table
from coord.tui.prompt import PromptScreen
from coord.tui.timeline import TimelineScreen
from coord.tui.workspace import parse_local

PAGE_SIZE = 200
#: the charts' series colours, in order
SERIES_COLOURS = (
    "blue+", "red+", "green+", "orange+", "magenta+", "cyan+", "yellow+", "gray+",
    "blue", "red", "green", "orange", "magenta", "cyan",
)  # fmt: skip

#: (label, value) of every view the auditor can choose
VIEWS: tuple[tuple[str, str], ...] = (
    *((f"report: {name}", name) for name in REPORTS),
    ("information gaps", GAPS),
    *((f"chart: {t.title.lower()}", f"{CHART}{name}") for name, t in TRENDS.items()),
)


class AuditorScreen(CoordScreen):
    """Reports, information gaps and trends, live or as known at a past instant."""

    HELP_TITLE = "Auditor"
    HELP = (
        "Choose a report, the information gaps, or a trend chart; type the period (local "
        "dates, 'to' exclusive), the row key, and for gaps a site and pathway; leave 'as of' "
        "empty for the log as it is now, or give an instant to see what the network knew "
        "then. Enter in any field (or ctrl+r) runs it. On the gaps table, Enter opens the "
        "case's patient timeline. ctrl+s saves the table on screen as CSV."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "run", "Run", id="auditor.run"),
        Binding("ctrl+s", "export", "Save CSV", id="auditor.export"),
        Binding("ctrl+t", "timeline", "Timeline of gap", id="auditor.timeline"),
        Binding("ctrl+n", "next_page", "Next page", id="auditor.next", show=False),
        Binding("ctrl+b", "previous_page", "Previous page", id="auditor.previous", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.result: AuditResult | None = None
        self.page_offset = 0
        #: the query being answered, and whether the log advanced meanwhile
        self.running: AuditQuery | None = None
        self.again = False
        #: the value of each Select, as last seen
        self.chosen: dict[str, object] = {"view": VIEWS[0][1]}

    def compose(self) -> ComposeResult:
        period = default_period(self.workspace.now(), self.workspace.time_zone)
        yield Static("Auditor — reports, information gaps, trends", classes="title-bar")
        with Vertical(id="auditor-controls"):
            with Horizontal(classes="control-row"):
                yield Label("View", classes="control-label")
                yield Select(VIEWS, value=VIEWS[0][1], allow_blank=False, id="view", compact=True)
                yield Label("By", classes="control-label")
                yield Select(
                    self._by_options(VIEWS[0][1]),
                    allow_blank=True,
                    prompt="default",
                    id="by",
                    compact=True,
                )
            with Horizontal(classes="control-row"):
                yield Label("From", classes="control-label")
                yield Input(period.from_date.isoformat(), id="from", compact=True)
                yield Label("To", classes="control-label")
                yield Input(period.to_date.isoformat(), id="to", compact=True)
                yield Label("As of", classes="control-label")
                yield Input("", placeholder="now (or YYYY-MM-DD HH:MM)", id="as-of", compact=True)
            with Horizontal(classes="control-row"):
                yield Label("Site", classes="control-label")
                yield Input("", placeholder="all sites (gaps)", id="site", compact=True)
                yield Label("Pathway", classes="control-label")
                yield Input("", placeholder="all pathways (gaps)", id="pathway", compact=True)
        yield Static("", id="auditor-status", classes="status-line")
        with ContentSwitcher(initial="auditor-table", id="auditor-results"):
            table: DataTable[str] = DataTable(
                id="auditor-table", cursor_type="row", zebra_stripes=True, header_height=2
            )
            yield table
            yield PlotextPlot(id="auditor-chart")
        yield Footer()

    def on_mount(self) -> None:
        self._enable_controls(VIEWS[0][1])

    @staticmethod
    def _by_options(view: str) -> list[tuple[str, str]]:
        definition = REPORTS.get(view)
        if definition is None:
            return []
        return [(key, key) for key in definition.by_keys]

    # --- reading the controls ------------------------------------------------------------

    def _text(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def query_from_controls(self) -> AuditQuery:
        """The query the controls describe; ValueError says what to fix."""
        view = str(self.query_one("#view", Select).value)
        by_value = self.query_one("#by", Select).value
        by = None if by_value is Select.NULL or not REPORTS.get(view) else str(by_value)
        try:
            start = date.fromisoformat(self._text("from"))
            end = date.fromisoformat(self._text("to"))
        except ValueError:
            raise ValueError("From and To are local dates, YYYY-MM-DD") from None
        as_of_text = self._text("as-of")
        as_of = parse_local(as_of_text, self.workspace.time_zone) if as_of_text else None
        return AuditQuery(
            view=view,
            from_date=start,
            to_date=end,
            by=by,
            site=self._text("site") or None if view == GAPS else None,
            pathway=self._text("pathway") or None if view == GAPS else None,
            as_of=as_of,
        )

    def on_select_changed(self, event: Select.Changed) -> None:
        key = event.select.id or ""
        if self.chosen.get(key, Select.NULL) == event.value:
            return  # a Select announces its first value on mount: not a change
        self.chosen[key] = event.value
        if key == "view":
            by = self.query_one("#by", Select)
            by.set_options(self._by_options(str(event.value)))
            self._enable_controls(str(event.value))
        self.action_run()

    def _enable_controls(self, view: str) -> None:
        """Only a report has a row key; only the gaps have site and pathway filters."""
        self.query_one("#by", Select).disabled = view not in REPORTS
        self.query_one("#site", Input).disabled = view != GAPS
        self.query_one("#pathway", Input).disabled = view != GAPS

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_run()

    # --- running -------------------------------------------------------------------------

    def reload(self) -> None:
        """On mount, and when the log advances: answer again — once the answer being
        computed has arrived, so that a busy log does not queue report after report. A
        past 'as of' view does not change (events are recorded later than it)."""
        as_of = self.result.query.as_of if self.result is not None else None
        if as_of is not None and as_of <= self.workspace.now():
            return
        if self.running is not None:
            self.again = True
            return
        self.action_run()

    def action_run(self) -> None:
        try:
            query = self.query_from_controls()
            query.period()  # checks From < To
        except ValueError as error:
            self._status(f"✗ {error}")
            return
        self.running = query
        self._status(f"computing {query.describe()}…")
        store, zone = self.workspace.database.store, self.workspace.time_zone
        self.background(lambda: run_query(store, zone, query), self.show, group="audit")

    def show(self, result: AuditResult) -> None:
        if result.query != self.running:
            return  # the controls have changed since
        self.running = None
        if self.result is None or self.result.query != result.query:
            self.page_offset = 0
        self.result = result
        switcher = self.query_one("#auditor-results", ContentSwitcher)
        if isinstance(result.answer, Trend):
            switcher.current = "auditor-chart"
            self._plot(result.answer)
            count = f"{len(result.answer.series)} series"
        else:
            switcher.current = "auditor-table"
            count = self._fill_table(result.answer)
        self._status(f"{result.query.describe()} · {count}")
        if self.again:
            self.again = False
            self.action_run()

    def failed(self, error: BaseException) -> None:
        if isinstance(error, CsvNotSaved):  # the table on screen still stands
            super().failed(error)
            return
        self.running = None
        self.again = False
        self._status("✗ the query failed (see the message)")
        super().failed(error)

    def _status(self, text: str) -> None:
        self.query_one("#auditor-status", Static).update(text)

    def _fill_table(self, answer: BaseModel) -> str:
        columns, rows = table_of(answer, self.workspace.time_zone)
        shown = rows[self.page_offset : self.page_offset + PAGE_SIZE]
        fill_table(
            self.query_one("#auditor-table", DataTable),
            [(column, heading(column)) for column in columns],
            [(str(self.page_offset + index), row) for index, row in enumerate(shown)],
        )
        if isinstance(answer, GapsReport):
            if not rows:
                return "no information gaps"
            last = self.page_offset + len(shown)
            return f"gaps {self.page_offset + 1}–{last} of {len(rows)}"
        return f"{len(rows) - 1} rows and the total"

    def _plot(self, trend: Trend) -> None:
        plot = self.query_one("#auditor-chart", PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        plt.title(trend.definition.title)
        plt.ylabel(trend.definition.unit)
        positions: list[float] = [float(i) for i in range(1, len(trend.months) + 1)]
        for series in trend.series:
            points = [
                (x, v) for x, v in zip(positions, series.values, strict=True) if v is not None
            ]
            if points:
                plt.plot([x for x, _ in points], [v for _, v in points], label=series.key)
        # short month names: plotext drops long tick labels that would touch, and which ones
        # it drops varies from run to run
        plt.xticks(positions, [_month_name(m) for m in trend.months])
        if trend.months:
            plt.xlabel(f"months {trend.months[0]} to {trend.months[-1]}")
        plot.refresh()

    # --- the table's rows ----------------------------------------------------------------

    def _gap_row(self) -> dict[str, Any] | None:
        answer = self.result.answer if self.result else None
        if not isinstance(answer, GapsReport) or not answer.rows:
            return None
        table = self.query_one("#auditor-table", DataTable)
        index = self.page_offset + table.cursor_row
        if 0 <= index < len(answer.rows):
            return answer.rows[index].model_dump(mode="json")
        return None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_timeline()

    def action_timeline(self) -> None:
        row = self._gap_row()
        if row is None:
            self.notify("highlight a gap (view: information gaps) first", severity="warning")
            return
        self.app.push_screen(TimelineScreen(str(row["patient_id"])))

    def action_next_page(self) -> None:
        answer = self.result.answer if self.result else None
        if isinstance(answer, GapsReport) and self.page_offset + PAGE_SIZE < len(answer.rows):
            self.page_offset += PAGE_SIZE
            self._fill_table(answer)

    def action_previous_page(self) -> None:
        answer = self.result.answer if self.result else None
        if isinstance(answer, GapsReport) and self.page_offset > 0:
            self.page_offset = max(0, self.page_offset - PAGE_SIZE)
            self._fill_table(answer)

    # --- CSV -----------------------------------------------------------------------------

    def action_export(self) -> None:
        result = self.result
        if result is None:
            self.notify("nothing to save yet: run a report first", severity="warning")
            return
        query = result.query
        suggested = f"{query.file_stem()}.csv"

        def chosen(path_text: str | None) -> None:
            if not path_text:
                return
            path = Path(path_text).expanduser()
            self.background(
                lambda: _write(path, to_csv(result.answer)),
                lambda written: self.notify(f"saved {written}", title="CSV"),
                group="export",
            )

        self.app.push_screen(
            PromptScreen(
                f"Save {query.describe()} as CSV to",
                value=suggested,
                hint="a file path (relative to the folder coord was started in)",
            ),
            chosen,
        )


def _month_name(month: str) -> str:
    """``2024-01`` -> ``Jan``."""
    return _MONTHS[int(month[5:7]) - 1]


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def to_csv(answer: BaseModel | Trend) -> str:
    """The table on screen as CSV: a report or the gaps exactly as ``coord report`` /
    ``coord gaps --format csv`` write them (one shared renderer); a trend as its table."""
    if isinstance(answer, Trend):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["month", *(s.key for s in answer.series)])
        for index, month in enumerate(answer.months):
            values = (s.values[index] for s in answer.series)
            writer.writerow([month, *("" if v is None else v for v in values)])
        return buffer.getvalue().rstrip("\n")
    return render(answer, OutputFormat.csv)


class CsvNotSaved(OSError):
    """The CSV file could not be written; says where and why."""


def _write(path: Path, text: str) -> str:
    try:
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        why = error.strerror or str(error)
        raise CsvNotSaved(f"cannot save the CSV to {path}: {why.lower()}") from None
    return str(path)
