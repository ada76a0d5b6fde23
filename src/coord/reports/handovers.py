"""``coord report handovers`` (SPEC §6): handovers of responsibility initiated in the
period (local date of ``HandoverInitiated``), and how quickly they were acknowledged."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from coord.reports.facts import Facts
from coord.reports.model import Number, Report, Row, check_by, tabulate
from coord.reports.periods import Period, hours_between, local_month
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

    def key_of(handover: Handover) -> tuple[str]:
        if by == "month":
            return (local_month(handover.initiated_at, time_zone),)
        value: str = getattr(handover, by)
        return (value,)

    rows, total = tabulate(population, key_of, _row)
    return HandoversReport(
        report=NAME,
        from_date=period.from_date,
        to_date=period.to_date,
        by=by,
        as_of=as_of,
        rows=rows,
        total=total,
    )


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
