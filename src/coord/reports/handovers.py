"""``coord report handovers`` (SPEC §6): handovers of responsibility initiated in the
period (local date of ``HandoverInitiated``), and how quickly they were acknowledged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from coord.reports.facts import Facts
from coord.reports.model import Number, Report, Row, assemble, check_by, key_by
from coord.reports.periods import Period, hours_between
from coord.reports.records import Handover
from coord.reports.stats import median_of, p90_of

NAME = "handovers"
BY_KEYS = ("from_site", "to_site", "month")
DEFAULT_BY = "from_site"
#: acknowledged within 48 hours: the unrounded duration is at most this
ACK_WITHIN_HOURS = 48


class HandoversRow(Row):
    initiated: int
    acknowledged: int
    declined: int
    completed: int
    open: int
    median_hours_to_ack: Number | None
    p90_hours_to_ack: Number | None
    acknowledged_within_48h: int


HandoversReport = Report[HandoversRow]


def handovers_report(
    facts: Facts,
    period: Period,
    by: str,
    time_zone: ZoneInfo,
    *,
    as_of: datetime | None = None,
) -> HandoversReport:
    check_by(NAME, by, BY_KEYS)
    population = [h for h in facts.handovers.values() if period.holds(h.initiated_at, time_zone)]

    key_of: Callable[[Handover], tuple[str]] = key_by(by, time_zone, lambda h: h.initiated_at)

    return assemble(HandoversReport, NAME, period, by, as_of, population, key_of, _row)


def _row(key: str | None, handovers: list[Handover]) -> HandoversRow:
    hours: list[Fraction] = [
        hours_between(h.initiated_at, h.acknowledged_at)
        for h in handovers
        if h.acknowledged_at is not None
    ]
    return HandoversRow(
        key=key,
        initiated=len(handovers),
        acknowledged=len(hours),
        declined=sum(1 for h in handovers if h.declined_at is not None),
        completed=sum(1 for h in handovers if h.completed_at is not None),
        open=sum(1 for h in handovers if h.open),
        median_hours_to_ack=median_of(hours),
        p90_hours_to_ack=p90_of(hours),
        acknowledged_within_48h=sum(1 for h in hours if h <= ACK_WITHIN_HOURS),
    )
