"""``coord report referrals`` (SPEC §6): referrals made in the period (local date of
``ReferralMade``), their outcome and the waiting-time standards: received by day 38
and treated within 62 days of ``clock_start`` (local dates, whole days)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.reports.facts import Facts
from coord.reports.model import Number, Report, Row, check_by, from_tallies, group, key_by
from coord.reports.periods import Period, days_since
from coord.reports.records import Referral
from coord.reports.stats import MEDIAN, Ranked, duration, ranked, ratio, whole_percentile

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


@dataclass(frozen=True, slots=True)
class ReferralsTally:
    """What a row is computed from: the counts of its referrals, and the days from
    ``clock_start`` to receipt of each received one."""

    referrals: int = 0
    accepted: int = 0
    rejected: int = 0
    treated: int = 0
    treated_within_62_days: int = 0
    received_by_day_38: int = 0
    receipt_days: Ranked = field(default_factory=Ranked)


def tally(referrals: list[Referral], time_zone: ZoneInfo) -> ReferralsTally:
    to_treatment = [
        days_since(r.clock_start, r.treatment_at, time_zone)
        for r in referrals
        if r.treatment_at is not None
    ]
    to_receipt = [
        days_since(r.clock_start, r.received_at, time_zone)
        for r in referrals
        if r.received_at is not None
    ]
    return ReferralsTally(
        referrals=len(referrals),
        accepted=sum(1 for r in referrals if r.accepted_at is not None),
        rejected=sum(1 for r in referrals if r.rejected_at is not None),
        treated=len(to_treatment),
        treated_within_62_days=sum(1 for d in to_treatment if d <= TREATMENT_STANDARD_DAYS),
        received_by_day_38=sum(1 for d in to_receipt if d <= RECEIPT_STANDARD_DAYS),
        receipt_days=ranked(to_receipt),
    )


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

    groups = {k: tally(members, time_zone) for k, members in group(population, key_of).items()}
    total = tally(population, time_zone)
    return from_tallies(ReferralsReport, NAME, period, by, as_of, groups, total, row)


def row(key: str | None, tally: ReferralsTally) -> ReferralsRow:
    """The row of a key value (None: the total) from its tally."""
    received = len(tally.receipt_days)
    by_day_38 = tally.received_by_day_38
    return ReferralsRow(
        key=key,
        referrals=tally.referrals,
        received=received,
        accepted=tally.accepted,
        rejected=tally.rejected,
        median_days_to_receipt=duration(whole_percentile(tally.receipt_days, MEDIAN)),
        received_by_day_38=by_day_38,
        day_38_rate=ratio(by_day_38, received),
        treated=tally.treated,
        treated_within_62_days=tally.treated_within_62_days,
        day_62_rate=ratio(tally.treated_within_62_days, tally.treated),
    )
