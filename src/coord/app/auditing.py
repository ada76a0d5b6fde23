"""The auditor's questions as values: a report, the gaps query or a trend, over a period,
live or as known at an instant — answered by :mod:`coord.app.reporting` and
:mod:`coord.app.trends`, and laid out as the table the auditor sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from coord.app.reporting import build_gaps, build_report
from coord.app.trends import TRENDS, Trend, build_trend
from coord.demo.generator import add_months
from coord.events import format_timestamp, parse_timestamp
from coord.reports import REPORTS, GapRow, GapsReport, Period
from coord.store.log import EventStore

GAPS = "gaps"
CHART = "chart:"


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """What the auditor asked: ``view`` is a report name, ``gaps`` or ``chart:<name>``."""

    view: str
    from_date: date
    to_date: date
    by: str | None = None
    site: str | None = None
    pathway: str | None = None
    as_of: datetime | None = None

    def period(self) -> Period:
        """The period (ValueError when From is not before To)."""
        return Period(self.from_date, self.to_date)

    def describe(self) -> str:
        """The question in words, for a status line."""
        if self.view.startswith(CHART):
            name = TRENDS[self.view.removeprefix(CHART)].title.lower()
        elif self.view == GAPS:
            name = "information gaps"
        else:
            definition = REPORTS[self.view]
            name = f"{self.view} by {self.by or definition.default_by}"
        text = f"{name} {self.from_date} to {self.to_date}"
        if self.site:
            text += f", site {self.site}"
        if self.pathway:
            text += f", pathway {self.pathway}"
        if self.as_of is not None:
            text += f", as known at {format_timestamp(self.as_of)}"
        return text

    def file_stem(self) -> str:
        """A file name for the answer, e.g. ``completeness-2024-01-01-2025-01-01``."""
        name = self.view.replace(CHART, "chart-")
        parts = [name, self.from_date.isoformat(), self.to_date.isoformat()]
        parts += [p for p in (self.by, self.site, self.pathway) if p]
        return "-".join(parts)


@dataclass(frozen=True, slots=True)
class AuditResult:
    query: AuditQuery
    answer: BaseModel | Trend


def default_period(now: datetime, time_zone: ZoneInfo) -> Period:
    """The twelve local months ending with the current one."""
    today = now.astimezone(time_zone).date()
    this_month = date(today.year, today.month, 1)
    return Period(add_months(this_month, -11), add_months(this_month, 1))


def run_query(store: EventStore, time_zone: ZoneInfo, query: AuditQuery) -> AuditResult:
    """Answer ``query`` (database work: call it from a worker)."""
    period = query.period()
    answer: BaseModel | Trend
    if query.view.startswith(CHART):
        name = query.view.removeprefix(CHART)
        answer = build_trend(store, time_zone, name, period, query.as_of)
    elif query.view == GAPS:
        answer = build_gaps(
            store, time_zone, period, site=query.site, pathway=query.pathway, as_of=query.as_of
        )
    else:
        answer = build_report(store, time_zone, query.view, period, query.by, query.as_of)
    return AuditResult(query, answer)


def heading(field: str) -> str:
    """A column heading on two lines (``items_required`` -> ``items\\nrequired``), so that
    wide reports fit the screen: the words split where the longer line is shortest."""
    words = field.split("_")
    if len(words) == 1:
        return field
    best = min(
        range(1, len(words)),
        key=lambda cut: max(len(" ".join(words[:cut])), len(" ".join(words[cut:]))),
    )
    return " ".join(words[:best]) + "\n" + " ".join(words[best:])


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


_TIMES = ("discussed_at", "arrived_at")


def table_of(answer: BaseModel | Trend, time_zone: ZoneInfo) -> tuple[list[str], list[list[str]]]:
    """The columns and rows of an answer as the auditor sees it: a report's rows then its
    total; the gaps (times in local time); a trend's months as rows, one column per
    series."""
    if isinstance(answer, Trend):
        columns = ["month", *(s.key for s in answer.series)]
        rows = [
            [month, *(_cell(s.values[index]) for s in answer.series)]
            for index, month in enumerate(answer.months)
        ]
        return columns, rows
    document = answer.model_dump(mode="json")
    if isinstance(answer, GapsReport):
        columns = list(GapRow.model_fields)
        rows = []
        for row in document["rows"]:
            cells = []
            for column in columns:
                value = row.get(column)
                if column in _TIMES and value is not None:
                    local = parse_timestamp(value).astimezone(time_zone)
                    value = local.strftime("%Y-%m-%d %H:%M")
                cells.append(_cell(value))
            rows.append(cells)
        return columns, rows
    columns = list(document["total"])
    rows = [[_cell(row.get(c)) for c in columns] for row in document["rows"]]
    total = [_cell(document["total"].get(c)) for c in columns]
    total[0] = "total"
    return columns, [*rows, total]
