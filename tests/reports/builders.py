"""Small builders for report tests: realistic events via ``decode_event`` (not checked
by the domain rules), and a shortcut from events to a report's JSON."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from coord.events import Event, decode_event, parse_timestamp
from coord.reports import Period, compute, compute_gaps

LONDON = ZoneInfo("Europe/London")
_ids = itertools.count(1)


def ev(
    type_: str,
    occurred_at: str,
    *,
    recorded_at: str | None = None,
    **data: Any,
) -> Event:
    """An event from its type, occurrence time and data fields, with a fresh event id.
    ``recorded_at`` defaults to ``occurred_at`` (a fact logged as it happened)."""
    raw: dict[str, Any] = {
        "event_id": f"00000000-0000-4000-8000-{next(_ids):012d}",
        "type": type_,
        "occurred_at": occurred_at,
        "recorded_at": recorded_at or occurred_at,
        "data": data,
    }
    return decode_event(raw)


def retract(target: Event, occurred_at: str, **kw: Any) -> Event:
    return ev("EventRetracted", occurred_at, event_id=target.event_id, reason="in error", **kw)


def protocol(pathway: str, version: int, items: list[str], at: str = "2024-01-01T00:00Z") -> Event:
    return ev("ProtocolPublished", at, pathway=pathway, version=version, required_items=items)


def meeting(
    meeting_id: str,
    scheduled_for: str,
    cutoff: str,
    *,
    pathway: str = "prostate",
    host_site: str = "S1",
) -> Event:
    return ev(
        "MeetingScheduled",
        "2024-01-02T09:00Z",
        meeting_id=meeting_id,
        pathway=pathway,
        host_site=host_site,
        scheduled_for=scheduled_for,
        cutoff=cutoff,
    )


def listed(
    case_id: str,
    meeting_id: str,
    at: str,
    *,
    site: str = "S2",
    pathway: str = "prostate",
    patient_id: str = "P1",
) -> Event:
    return ev(
        "CaseListed",
        at,
        case_id=case_id,
        patient_id=patient_id,
        meeting_id=meeting_id,
        pathway=pathway,
        presenting_site=site,
    )


def relisted(case_id: str, meeting_id: str, at: str) -> Event:
    return ev("CaseRelisted", at, case_id=case_id, meeting_id=meeting_id)


def received(case_id: str, item: str, at: str, **kw: Any) -> Event:
    return ev("ItemReceived", at, case_id=case_id, item=item, **kw)


def waived(case_id: str, item: str, at: str) -> Event:
    return ev("ItemWaived", at, case_id=case_id, item=item, reason="not clinically needed")


def discussed(case_id: str, meeting_id: str, at: str) -> Event:
    return ev("CaseDiscussed", at, case_id=case_id, meeting_id=meeting_id, outcome="surgery")


def deferred(case_id: str, meeting_id: str, at: str, reason: str = "missing_information") -> Event:
    return ev("CaseDeferred", at, case_id=case_id, meeting_id=meeting_id, reason=reason)


def transfer(
    transfer_id: str,
    at: str,
    *,
    item: str = "pathology_report",
    case_id: str | None = None,
    method: str = "email",
    from_site: str = "S2",
    to_site: str = "S1",
) -> Event:
    fields: dict[str, Any] = {"case_id": case_id} if case_id else {}
    return ev(
        "TransferRequested",
        at,
        transfer_id=transfer_id,
        patient_id="P1",
        item=item,
        from_site=from_site,
        to_site=to_site,
        method=method,
        **fields,
    )


def step(type_: str, subject: str, at: str, **data: Any) -> Event:
    """A lifecycle step of a transfer, handover or referral: ``TransferReceived``, ..."""
    key = "referral_id"
    if type_.startswith("Transfer"):
        key = "transfer_id"
    elif type_.startswith("Handover"):
        key = "handover_id"
    return ev(type_, at, **{key: subject}, **data)


def handover(handover_id: str, at: str, *, from_site: str = "S1", to_site: str = "S2") -> Event:
    return ev(
        "HandoverInitiated",
        at,
        handover_id=handover_id,
        patient_id="P1",
        from_site=from_site,
        to_site=to_site,
        from_role="surgeon",
        to_role="oncologist",
        reason="follow-up after surgery",
    )


def referral(
    referral_id: str,
    at: str,
    clock_start: str,
    *,
    pathway: str = "prostate",
    from_site: str = "S2",
    to_site: str = "S1",
) -> Event:
    return ev(
        "ReferralMade",
        at,
        referral_id=referral_id,
        patient_id="P1",
        pathway=pathway,
        from_site=from_site,
        to_site=to_site,
        priority="urgent",
        clock_start=clock_start,
    )


def attendance(
    meeting_id: str, at: str, site: str, group: str, minutes: int | None = None
) -> Event:
    fields: dict[str, Any] = {} if minutes is None else {"minutes_present": minutes}
    return ev(
        "AttendanceRecorded",
        at,
        meeting_id=meeting_id,
        attendee_id=f"{site}-{group}",
        site=site,
        professional_group=group,
        **fields,
    )


def period(start: str = "2024-01-01", end: str = "2025-01-01") -> Period:
    return Period(date.fromisoformat(start), date.fromisoformat(end))


def run(
    events: list[Event],
    name: str,
    *,
    by: str | None = None,
    start: str = "2024-01-01",
    end: str = "2025-01-01",
    as_of: str | None = None,
) -> dict[str, Any]:
    """The report's JSON (``model_dump(mode="json")``)."""
    at = parse_timestamp(as_of) if as_of else None
    return compute(events, name, period(start, end), by, LONDON, at).model_dump(mode="json")


def rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The rows by key, without the key."""
    return {r["key"]: {k: v for k, v in r.items() if k != "key"} for r in report["rows"]}


def gaps(events: list[Event], **kw: Any) -> dict[str, Any]:
    start, end = kw.pop("start", "2024-01-01"), kw.pop("end", "2025-01-01")
    if "as_of" in kw and kw["as_of"] is not None:
        kw["as_of"] = parse_timestamp(kw["as_of"])
    return compute_gaps(events, period(start, end), LONDON, **kw).model_dump(mode="json")
