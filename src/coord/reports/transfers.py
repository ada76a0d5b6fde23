"""``coord report transfers`` (SPEC §6): transfers of information items requested in
the period (local date of ``TransferRequested``), what became of them, how long receipt
took and how often they were chased."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.reports.facts import Facts
from coord.reports.model import Number, Report, Row, check_by, from_tallies, group, key_by
from coord.reports.periods import Period, hours_of, microseconds_between
from coord.reports.records import Transfer
from coord.reports.stats import MEDIAN, P90, Ranked, duration, ranked, whole_percentile

NAME = "transfers"
BY_KEYS = ("from_site", "to_site", "item", "method", "month")
DEFAULT_BY = "from_site"


class TransfersRow(Row):
    requested: int
    received: int
    failed: int
    open: int
    median_hours: Number | None
    p90_hours: Number | None
    chased_transfers: int
    chases: int


TransfersReport = Report[TransfersRow]


@dataclass(frozen=True, slots=True)
class TransfersTally:
    """What a row is computed from: the counts of its transfers, and the microseconds
    from request to receipt of the received ones."""

    requested: int = 0
    failed: int = 0
    open: int = 0
    chased_transfers: int = 0
    chases: int = 0
    receipt_us: Ranked = field(default_factory=Ranked)


def tally(transfers: list[Transfer]) -> TransfersTally:
    return TransfersTally(
        requested=len(transfers),
        failed=sum(1 for t in transfers if t.failed_at is not None),
        open=sum(1 for t in transfers if t.open),
        chased_transfers=sum(1 for t in transfers if t.chases > 0),
        chases=sum(t.chases for t in transfers),
        receipt_us=ranked(
            microseconds_between(t.requested_at, t.received_at)
            for t in transfers
            if t.received_at is not None
        ),
    )


def transfers_report(
    facts: Facts,
    period: Period,
    by: str,
    time_zone: ZoneInfo,
    *,
    as_of: datetime | None = None,
) -> TransfersReport:
    check_by(NAME, by, BY_KEYS)
    population = [t for t in facts.transfers.values() if period.holds(t.requested_at, time_zone)]

    key_of: Callable[[Transfer], tuple[str]] = key_by(by, time_zone, lambda t: t.requested_at)

    groups = {key: tally(members) for key, members in group(population, key_of).items()}
    return from_tallies(TransfersReport, NAME, period, by, as_of, groups, tally(population), row)


def row(key: str | None, tally: TransfersTally) -> TransfersRow:
    """The row of a key value (None: the total) from its tally."""
    return TransfersRow(
        key=key,
        requested=tally.requested,
        received=len(tally.receipt_us),
        failed=tally.failed,
        open=tally.open,
        median_hours=duration(hours_of(whole_percentile(tally.receipt_us, MEDIAN))),
        p90_hours=duration(hours_of(whole_percentile(tally.receipt_us, P90))),
        chased_transfers=tally.chased_transfers,
        chases=tally.chases,
    )
