"""``coord report handovers`` (SPEC §6): handovers of responsibility initiated in the
period (local date of ``HandoverInitiated``), and how quickly they were acknowledged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.reports.facts import Facts
from coord.reports.model import Number, Report, Row, check_by, from_tallies, group, key_by
from coord.reports.periods import MICROSECONDS_PER_HOUR, Period, hours_of, microseconds_between
from coord.reports.records import Handover
from coord.reports.stats import MEDIAN, P90, Ranked, duration, ranked, whole_percentile

NAME = "handovers"
BY_KEYS = ("from_site", "to_site", "month")
DEFAULT_BY = "from_site"
#: acknowledged within 48 hours: the unrounded duration is at most this
ACK_WITHIN_HOURS = 48
ACK_WITHIN_US = ACK_WITHIN_HOURS * MICROSECONDS_PER_HOUR


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


@dataclass(frozen=True, slots=True)
class HandoversTally:
    """What a row is computed from: the counts of its handovers, and the microseconds
    from initiation to acknowledgement of the acknowledged ones."""

    initiated: int = 0
    declined: int = 0
    completed: int = 0
    open: int = 0
    acknowledged_within_48h: int = 0
    ack_us: Ranked = field(default_factory=Ranked)


def tally(handovers: list[Handover]) -> HandoversTally:
    to_ack = [
        microseconds_between(h.initiated_at, h.acknowledged_at)
        for h in handovers
        if h.acknowledged_at is not None
    ]
    return HandoversTally(
        initiated=len(handovers),
        declined=sum(1 for h in handovers if h.declined_at is not None),
        completed=sum(1 for h in handovers if h.completed_at is not None),
        open=sum(1 for h in handovers if h.open),
        acknowledged_within_48h=sum(1 for us in to_ack if us <= ACK_WITHIN_US),
        ack_us=ranked(to_ack),
    )


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

    groups = {key: tally(members) for key, members in group(population, key_of).items()}
    return from_tallies(HandoversReport, NAME, period, by, as_of, groups, tally(population), row)


def row(key: str | None, tally: HandoversTally) -> HandoversRow:
    """The row of a key value (None: the total) from its tally."""
    return HandoversRow(
        key=key,
        initiated=tally.initiated,
        acknowledged=len(tally.ack_us),
        declined=tally.declined,
        completed=tally.completed,
        open=tally.open,
        median_hours_to_ack=duration(hours_of(whole_percentile(tally.ack_us, MEDIAN))),
        p90_hours_to_ack=duration(hours_of(whole_percentile(tally.ack_us, P90))),
        acknowledged_within_48h=tally.acknowledged_within_48h,
    )
