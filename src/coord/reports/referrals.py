"""``coord report referrals`` (SPEC §6): referrals made in the period (local date of
``ReferralMade``), their outcome and the waiting-time standards: received by day 38
and treated within 62 days of ``clock_start`` (local dates, whole days)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.reports.facts import Facts
from coord.reports.model import Number, Report, Row, assemble, check_by, key_by
from coord.reports.periods import Period, days_since
from coord.reports.records import Referral
from coord.reports.stats import median_of, ratio

NAME = "referrals"
BY_KEYS = ("to_site", "from_site", "pathway", "month")
DEFAULT_BY = "to_site"
RECEIPT_STANDARD_DAYS = 38
TREATMENT_STANDARD_DAYS = 62


class ReferralsRow(Row):
    referrals: int
    received: int
    accepted: int
    rejected: int
    median_days_to_receipt: Number | None
    received_by_day_38: int
    day_38_rate: Number | None
    treated: int
    treated_within_62_days: int
    day_62_rate: Number | None


ReferralsReport = Report[ReferralsRow]


def referrals_report(
    facts: Facts,
    period: Period,
    by: str,
    time_zone: ZoneInfo,
    *,
    as_of: datetime | None = None,
) -> ReferralsReport:
    check_by(NAME, by, BY_KEYS)
    population = [r for r in facts.referrals.values() if period.holds(r.made_at, time_zone)]

    key_of: Callable[[Referral], tuple[str]] = key_by(by, time_zone, lambda r: r.made_at)

    def row_of(key: str | None, members: list[Referral]) -> ReferralsRow:
        to_receipt = [
            days_since(r.clock_start, r.received_at, time_zone)
            for r in members
            if r.received_at is not None
        ]
        to_treatment = [
            days_since(r.clock_start, r.treatment_at, time_zone)
            for r in members
            if r.treatment_at is not None
        ]
        by_day_38 = sum(1 for d in to_receipt if d <= RECEIPT_STANDARD_DAYS)
        within_62 = sum(1 for d in to_treatment if d <= TREATMENT_STANDARD_DAYS)
        return ReferralsRow(
            key=key,
            referrals=len(members),
            received=len(to_receipt),
            accepted=sum(1 for r in members if r.accepted_at is not None),
            rejected=sum(1 for r in members if r.rejected_at is not None),
            median_days_to_receipt=median_of(to_receipt),
            received_by_day_38=by_day_38,
            day_38_rate=ratio(by_day_38, len(to_receipt)),
            treated=len(to_treatment),
            treated_within_62_days=within_62,
            day_62_rate=ratio(within_62, len(to_treatment)),
        )

    return assemble(ReferralsReport, NAME, period, by, as_of, population, key_of, row_of)
