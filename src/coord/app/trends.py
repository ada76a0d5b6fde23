"""Trends for the auditor's charts: a report field month by month, one series per key
(e.g. case completeness by month per presenting site, median transfer turnaround by
month per method).

The facts of the whole period are read once — from the read models, or replayed from
the log as known at ``as_of`` — and each month's figures are computed by the report's
own definition (:func:`coord.reports.report`), so a chart shows exactly the numbers the
report shows for that month.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from coord.app.reporting import check_current, facts_as_of
from coord.demo.generator import add_months
from coord.projections.live import live_facts
from coord.reports import Facts, Period, report
from coord.store.log import EventStore


@dataclass(frozen=True, slots=True)
class TrendDefinition:
    """A chart: ``field`` of report ``report`` keyed ``by``, month by month."""

    title: str
    report: str
    by: str
    field: str
    unit: str


#: the auditor's charts, by name
TRENDS: Mapping[str, TrendDefinition] = {
    "completeness": TrendDefinition(
        "Case completeness at discussion by presenting site",
        "completeness",
        "presenting_site",
        "case_completeness",
        "share of discussions complete",
    ),
    "turnaround": TrendDefinition(
        "Median transfer turnaround by method", "transfers", "method", "median_hours", "hours"
    ),
    "acknowledgement": TrendDefinition(
        "Median hours to acknowledge a handover by sending site",
        "handovers",
        "from_site",
        "median_hours_to_ack",
        "hours",
    ),
}


@dataclass(frozen=True, slots=True)
class Series:
    key: str
    #: one value per month of :attr:`Trend.months` (None: no value that month)
    values: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class Trend:
    definition: TrendDefinition
    period: Period
    as_of: datetime | None
    months: tuple[str, ...]
    series: tuple[Series, ...]


def months_of(period: Period) -> list[Period]:
    """The period cut at month boundaries (the first and last part may be partial)."""
    parts: list[Period] = []
    start = period.from_date
    while start < period.to_date:
        next_month = add_months(date(start.year, start.month, 1), 1)
        end = min(next_month, period.to_date)
        parts.append(Period(start, end))
        start = end
    return parts


def _facts(
    store: EventStore, name: str, period: Period, time_zone: ZoneInfo, as_of: datetime | None
) -> Facts:
    if as_of is not None:
        return facts_as_of(store, as_of)
    with store.reading() as reader:
        check_current(reader)
        return live_facts(reader.connection, name, period, time_zone)


def build_trend(
    store: EventStore,
    time_zone: ZoneInfo,
    name: str,
    period: Period,
    as_of: datetime | None = None,
) -> Trend:
    """The trend ``name`` (a key of :data:`TRENDS`) over ``period``, month by month."""
    definition = TRENDS.get(name)
    if definition is None:
        raise ValueError(f"there is no chart {name!r}; use one of: {', '.join(TRENDS)}")
    facts = _facts(store, definition.report, period, time_zone, as_of)
    months = months_of(period)
    values: dict[str, list[float | None]] = {}
    for index, month in enumerate(months):
        figures = report(facts, definition.report, month, definition.by, time_zone)
        for row in figures.rows:
            assert row.key is not None
            series = values.setdefault(row.key, [None] * len(months))
            value = getattr(row, definition.field)
            series[index] = None if value is None else float(value)
    return Trend(
        definition=definition,
        period=period,
        as_of=as_of,
        months=tuple(f"{m.from_date:%Y-%m}" for m in months),
        series=tuple(Series(key, tuple(values[key])) for key in sorted(values)),
    )
