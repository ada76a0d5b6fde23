"""The facts a live report needs, read back from the read models (no replay).

Each report is then computed by its one definition in :mod:`coord.reports`, exactly as
the ``--as-of`` replay computes it from facts derived from the log.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

from coord.projections.codec import from_payload
from coord.reports import (
    Facts,
    Period,
    Report,
    completeness,
    handovers,
    meetings,
    referrals,
    transfers,
)
from coord.reports.model import check_by, from_tallies
from coord.reports.records import (
    Arrival,
    Deferral,
    Discussion,
    Handover,
    Listing,
    Meeting,
    Referral,
    Transfer,
)
from coord.reports.stats import ranked
from coord.store.aggregates import (
    Measure,
    counts_by,
    incomplete_discussions,
    steps_naming_meetings,
    values_by,
)
from coord.store.engine import Connection
from coord.store.readmodels import (
    network_time_zone,
    payloads_between,
    payloads_by_owner,
    payloads_by_ref,
)


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


def live_facts(
    connection: Connection,
    report: str,
    period: Period,
    time_zone: ZoneInfo,
    *,
    site: str | None = None,
    pathway: str | None = None,
) -> Facts:
    """The facts of the records ``report`` (or ``gaps``) counts in ``period``."""
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
    if report == "gaps":
        # only a discussion with an item missing has a gap
        incomplete = incomplete_discussions(
            connection, start, end, presenting_site=site, pathway=pathway
        )
        discussions = tuple(from_payload(Discussion, p) for p in incomplete)
        missing = {(d.case_id, item) for d in discussions for item in d.missing_items}
        cases = {d.case_id for d in discussions}
        # a case's arrivals and transfers of items it did not miss are not decoded
        arrivals = [
            from_payload(Arrival, p)
            for p in payloads_by_owner(connection, "arrival", {f"case:{c}" for c in cases})
            if (p["case_id"], p["item"]) in missing
        ]
        requested = [
            from_payload(Transfer, p)
            for p in payloads_by_ref(connection, "transfer", cases)
            if (p["case_id"], p["item"]) in missing
        ]
        return _facts(
            discussions=discussions,
            arrivals={(a.case_id, a.item): a for a in arrivals},
            transfers={t.transfer_id: t for t in requested},
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
        each record has one key value)."""
        groups = counts_by(connection, kind, start, end, key, months, counts)
        found: dict[str, dict[str, Any]] = {k: dict(v) for k, v in groups.items()}
        total: dict[str, Any] = {n: sum(g[n] for g in groups.values()) for n in counts}
        if values is not None:
            column, field = values
            numbers = values_by(connection, kind, start, end, key, months, column)
            for k, group_numbers in numbers.items():
                found[k][field] = ranked(group_numbers)
            total[field] = ranked(chain.from_iterable(numbers.values()))
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
