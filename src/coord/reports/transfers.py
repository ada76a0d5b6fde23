"""``coord report transfers`` (SPEC §6): transfers of information items requested in
the period (local date of ``TransferRequested``), what became of them, how long receipt
took and how often they were chased."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.reports.facts import Facts
from coord.reports.model import Number, Report, Row, assemble, check_by, key_by
from coord.reports.periods import Period, hours_between
from coord.reports.records import Transfer
from coord.reports.stats import median_of, p90_of

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

    return assemble(TransfersReport, NAME, period, by, as_of, population, key_of, _row)


def _row(key: str | None, transfers: list[Transfer]) -> TransfersRow:
    hours = [
        hours_between(t.requested_at, t.received_at) for t in transfers if t.received_at is not None
    ]
    return TransfersRow(
        key=key,
        requested=len(transfers),
        received=len(hours),
        failed=sum(1 for t in transfers if t.failed_at is not None),
        open=sum(1 for t in transfers if t.open),
        median_hours=median_of(hours),
        p90_hours=p90_of(hours),
        chased_transfers=sum(1 for t in transfers if t.chases > 0),
        chases=sum(t.chases for t in transfers),
    )
