"""The facts a live report needs, read back from the read models (no replay).

Each report is then computed by its one definition in :mod:`coord.reports`, exactly as
the ``--as-of`` replay computes it from facts derived from the log.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from coord.projections.codec import from_payload
from coord.reports import Facts, Period
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
from coord.store.engine import Connection
from coord.store.readmodels import payloads_between, payloads_by_owner, payloads_by_ref


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
        discussions = tuple(
            d
            for d in between("discussion", Discussion)
            if not d.complete  # only a discussion with an item missing has a gap
            and (site is None or d.presenting_site == site)
            and (pathway is None or d.pathway == pathway)
        )
        cases = {d.case_id for d in discussions}
        arrivals = [
            from_payload(Arrival, p)
            for p in payloads_by_owner(connection, "arrival", {f"case:{c}" for c in cases})
        ]
        transfers = [
            from_payload(Transfer, p) for p in payloads_by_ref(connection, "transfer", cases)
        ]
        return _facts(
            discussions=discussions,
            arrivals={(a.case_id, a.item): a for a in arrivals},
            transfers={t.transfer_id: t for t in transfers},
        )
    raise ValueError(f"no report {report!r}")
