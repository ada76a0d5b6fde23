"""The live reports and the gaps query, read back from the read models (no replay).

Each report row is computed by its one definition in :mod:`coord.reports` — from a
tally whose counts and percentile inputs are aggregated in SQL (:func:`aggregated_report`)
or from the facts read back (:func:`live_facts`) — and each gap row by
:func:`coord.reports.gaps.gap_row` (kept in the read models, read by :func:`live_gaps`),
exactly as the ``--as-of`` replay computes them from facts derived from the log.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from coord.projections.codec import from_payload
from coord.reports import (
    Facts,
    GapsReport,
    Period,
    Report,
    completeness,
    handovers,
    meetings,
    referrals,
    transfers,
)
from coord.reports.gaps import gap_rows_of_payloads, gaps_report
from coord.reports.model import check_by, from_tallies
from coord.reports.records import (
    Deferral,
    Discussion,
    Handover,
    Listing,
    Meeting,
    Referral,
    Transfer,
)
from coord.reports.stats import PERCENTILES, Ranked, percentile_ranks, ranked
from coord.store.aggregates import (
    Measure,
    gap_payloads,
    groups_by,
    steps_naming_meetings,
)
from coord.store.engine import Connection
from coord.store.readmodels import network_time_zone, payloads_between, payloads_by_ref


class ReadModelsBehind(Exception):
    """The read models do not yet include every event (an older database, or an
    interrupted rebuild): ``coord rebuild`` brings them up to date."""


def utc_bounds(period: Period, time_zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants at which the period's first local day starts and its end day starts."""
    start = datetime.combine(period.from_date, time(0), tzinfo=time_zone).astimezone(UTC)
    end = datetime.combine(period.to_date, time(0), tzinfo=time_zone).astimezone(UTC)
    return start, end


def _facts(**parts: Any) -> Facts:
    empty: dict[str, Any] = {
        "cases": {},
        "listings": (),
        "discussions": (),
        "deferrals": (),
        "arrivals": {},
        "transfers": {},
        "handovers": {},
        "referrals": {},
        "meetings": {},
    }
    return Facts(**{**empty, **parts})


def live_facts(connection: Connection, report: str, period: Period, time_zone: ZoneInfo) -> Facts:
    """The facts of the records ``report`` counts in ``period`` (the gaps query reads
    the read models itself: :func:`live_gaps`)."""
    start, end = utc_bounds(period, time_zone)

    def between(kind: str, cls: type[Any]) -> list[Any]:
        return [from_payload(cls, p) for p in payloads_between(connection, kind, start, end)]

    if report == "completeness":
        return _facts(
            discussions=tuple(between("discussion", Discussion)),
            deferrals=tuple(between("deferral", Deferral)),
        )
    if report == "transfers":
        return _facts(transfers={t.transfer_id: t for t in between("transfer", Transfer)})
    if report == "handovers":
        return _facts(handovers={h.handover_id: h for h in between("handover", Handover)})
    if report == "referrals":
        return _facts(referrals={r.referral_id: r for r in between("referral", Referral)})
    if report == "meetings":
        meetings = {m.meeting_id: m for m in between("meeting", Meeting)}

        def naming(kind: str, cls: type[Any]) -> tuple[Any, ...]:
            payloads = payloads_by_ref(connection, kind, meetings)
            return tuple(from_payload(cls, p) for p in payloads)

        return _facts(
            meetings=meetings,
            listings=naming("listing", Listing),
            discussions=naming("discussion", Discussion),
            deferrals=naming("deferral", Deferral),
        )
    raise ValueError(f"no report {report!r}")


# --- reports aggregated in SQL ------------------------------------------------------------


def local_months(period: Period, time_zone: ZoneInfo) -> list[tuple[datetime, str]]:
    """Each local month the period touches: (the UTC instant it starts, ``YYYY-MM``)."""
    months = []
    day = period.from_date.replace(day=1)
    while day < period.to_date:
        start = datetime.combine(day, time(0), tzinfo=time_zone).astimezone(UTC)
        months.append((start, f"{day.year:04d}-{day.month:02d}"))
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


#: the counts of each report's tally, by field (SPEC §6's definitions, in the measure
#: vocabulary of :mod:`coord.store.aggregates`)
_TRANSFER_COUNTS: dict[str, Measure] = {
    "requested": ("rows",),
    "failed": ("positive", "failed"),
    "open": ("neither", "elapsed_us", "failed"),
    "chased_transfers": ("positive", "chases"),
    "chases": ("sum", "chases"),
}
_HANDOVER_COUNTS: dict[str, Measure] = {
    "initiated": ("rows",),
    "declined": ("positive", "declined"),
    "completed": ("positive", "completed"),
    "open": ("neither", "elapsed_us", "declined"),
    "acknowledged_within_48h": ("at_most", "elapsed_us", handovers.ACK_WITHIN_US),
}
_REFERRAL_COUNTS: dict[str, Measure] = {
    "referrals": ("rows",),
    "accepted": ("positive", "accepted"),
    "rejected": ("positive", "rejected"),
    "treated": ("present", "treated_days"),
    "treated_within_62_days": ("at_most", "treated_days", referrals.TREATMENT_STANDARD_DAYS),
    "received_by_day_38": ("at_most", "received_days", referrals.RECEIPT_STANDARD_DAYS),
}
_DISCUSSION_COUNTS: dict[str, Measure] = {
    "discussions": ("rows",),
    "complete_discussions": ("equal_columns", "required_items", "available_items"),
    "items_required": ("sum", "required_items"),
    "items_available": ("sum", "available_items"),
}
_DEFERRAL_COUNTS: dict[str, Measure] = {
    "deferrals": ("rows",),
    "deferrals_missing_information": ("equals", "reason", completeness.MISSING_INFORMATION),
}


def aggregated_report(
    connection: Connection, name: str, period: Period, by: str | None, time_zone: ZoneInfo
) -> Report[Any] | None:
    """The live report ``name`` with its counts summed in SQL over the read models' figure
    columns (and the values its percentiles read fetched as whole numbers), each row then
    computed by the report's own definition from its tally; None where that cannot be done — ``completeness --by
    item``, or ``referrals`` asked in a time zone other than the one its stored day
    counts were taken in."""
    start, end = utc_bounds(period, time_zone)
    months = local_months(period, time_zone)

    def tallies(
        kind: str, key: str, counts: dict[str, Measure], values: tuple[str, str] | None = None
    ) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
        """The fields of each key value's tally, and of the total's (every count adds up:
        each record has one key value, so the total's values are the groups' together)."""
        column, field = values if values is not None else (None, "")
        groups = groups_by(connection, kind, start, end, key, months, counts, column)
        found: dict[str, dict[str, Any]] = {k: dict(g.counts) for k, g in groups.items()}
        total: dict[str, Any] = {n: sum(g.counts[n] for g in groups.values()) for n in counts}
        if column is not None:
            for k, g in groups.items():
                found[k][field] = ranked(g.values)
            total[field] = ranked_together([g.values for g in groups.values()])
        return found, total

    if name == "transfers":
        key = by or transfers.DEFAULT_BY
        check_by(name, key, transfers.BY_KEYS)
        groups, total = tallies("transfer", key, _TRANSFER_COUNTS, ("elapsed_us", "receipt_us"))
        return from_tallies(
            transfers.TransfersReport, name, period, key, None,
            {k: transfers.TransfersTally(**v) for k, v in groups.items()},
            transfers.TransfersTally(**total), transfers.row,
        )  # fmt: skip
    if name == "handovers":
        key = by or handovers.DEFAULT_BY
        check_by(name, key, handovers.BY_KEYS)
        groups, total = tallies("handover", key, _HANDOVER_COUNTS, ("elapsed_us", "ack_us"))
        return from_tallies(
            handovers.HandoversReport, name, period, key, None,
            {k: handovers.HandoversTally(**v) for k, v in groups.items()},
            handovers.HandoversTally(**total), handovers.row,
        )  # fmt: skip
    if name == "referrals":
        key = by or referrals.DEFAULT_BY
        check_by(name, key, referrals.BY_KEYS)
        if network_time_zone(connection).key != time_zone.key:
            return None
        groups, total = tallies(
            "referral", key, _REFERRAL_COUNTS, ("received_days", "receipt_days")
        )
        return from_tallies(
            referrals.ReferralsReport, name, period, key, None,
            {k: referrals.ReferralsTally(**v) for k, v in groups.items()},
            referrals.ReferralsTally(**total), referrals.row,
        )  # fmt: skip
    if name == "completeness":
        key = by or completeness.DEFAULT_BY
        check_by(name, key, completeness.BY_KEYS)
        if key == "item":
            return None
        discussed, discussed_total = tallies("discussion", key, _DISCUSSION_COUNTS)
        deferred, deferred_total = tallies("deferral", key, _DEFERRAL_COUNTS)
        return from_tallies(
            completeness.CompletenessReport, name, period, key, None,
            {
                k: completeness.CompletenessTally(**discussed.get(k, {}), **deferred.get(k, {}))
                for k in discussed.keys() | deferred.keys()
            },
            completeness.CompletenessTally(**discussed_total, **deferred_total),
            completeness.row,
        )  # fmt: skip
    if name == "meetings":
        key = by or meetings.DEFAULT_BY
        check_by(name, key, meetings.BY_KEYS)
        held = [
            from_payload(Meeting, p) for p in payloads_between(connection, "meeting", start, end)
        ]
        steps = steps_naming_meetings(connection, start, end)

        def by_meeting(field: str) -> dict[str, int]:
            return {meeting: counts[field] for meeting, counts in steps.items()}

        naming = meetings.MeetingSteps(
            listings=by_meeting("listings"),
            ready_at_cutoff=by_meeting("ready_at_cutoff"),
            discussed=by_meeting("discussed"),
            deferred=by_meeting("deferred"),
        )
        return meetings.meetings_from_steps(held, naming, period, key, time_zone)
    return None


def ranked_together(groups: Sequence[Sequence[int]]) -> Ranked:
    """The :class:`~coord.reports.stats.Ranked` of the values of ascending ``groups``
    taken together, without merging them: the value at each rank a percentile reads is
    found by bisection on the value (the smallest value with more than ``rank`` values at
    or below it), counting each group with a binary search."""
    count = sum(len(g) for g in groups)
    present = [g for g in groups if g]
    wanted = sorted({r for p in PERCENTILES for r in percentile_ranks(count, p)})
    at_rank: dict[int, int] = {}
    for rank in wanted:
        low, high = min(g[0] for g in present), max(g[-1] for g in present)
        while low < high:
            middle = (low + high) // 2
            if sum(bisect_right(g, middle) for g in present) > rank:
                high = middle
            else:
                low = middle + 1
        at_rank[rank] = low
    return Ranked(count, at_rank)


def live_gaps(
    connection: Connection,
    period: Period,
    time_zone: ZoneInfo,
    *,
    site: str | None = None,
    pathway: str | None = None,
) -> GapsReport:
    """The gaps query (SPEC §7) from the read models: the gap rows kept for the
    discussions of the period (each made by :func:`coord.reports.gaps.gap_row` as the
    replay makes it, when its case last changed), read in the report's order."""
    start, end = utc_bounds(period, time_zone)
    payloads = gap_payloads(connection, start, end, presenting_site=site, pathway=pathway)
    rows = gap_rows_of_payloads(payloads)
    return gaps_report(rows, period, site=site, pathway=pathway, in_order=True)
