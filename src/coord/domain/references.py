"""The cross-stream references an event holds (the keys of :class:`Reference`)."""

from __future__ import annotations

from coord.domain.log import Reference
from coord.domain.nhs import nhs_key
from coord.events import Event
from coord.events.types import CaseListed, EventRetracted, PatientRegistered

#: data fields naming a site, per event type
_SITE_FIELDS: dict[str, tuple[str, ...]] = {
    "ReferralMade": ("from_site", "to_site"),
    "MeetingScheduled": ("host_site",),
    "AttendanceRecorded": ("site",),
    "CaseListed": ("presenting_site",),
    "ActionAgreed": ("owner_site",),
    "OutcomeCommunicated": ("to_site",),
    "TransferRequested": ("from_site", "to_site"),
    "HandoverInitiated": ("from_site", "to_site"),
}
#: (key prefix, data field) of the other subjects an event names, per event type
_SUBJECT_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "ReferralMade": (("patient", "patient_id"),),
    "CaseListed": (
        ("patient", "patient_id"),
        ("meeting", "meeting_id"),
        ("referral", "referral_id"),
    ),
    "CaseRelisted": (("meeting", "meeting_id"),),
    "TransferRequested": (("patient", "patient_id"), ("case", "case_id")),
    "HandoverInitiated": (("patient", "patient_id"),),
}


def reference_keys(event: Event) -> list[str]:
    """Every reference key of the event, in a stable order, possibly repeated."""
    data = event.data
    keys: list[str] = []
    for prefix, name in _SUBJECT_FIELDS.get(event.type, ()):
        value = getattr(data, name, None)
        if value is not None:
            keys.append(f"{prefix}:{value}")
    keys.extend(f"site:{getattr(data, name)}" for name in _SITE_FIELDS.get(event.type, ()))
    if isinstance(data, CaseListed):
        keys.append(f"listing:{data.pathway}")
    elif isinstance(data, PatientRegistered) and data.nhs_number is not None:
        keys.append(nhs_key(data.nhs_number))
    elif isinstance(data, EventRetracted):
        keys.append(f"event:{data.event_id}")
    return keys


def references_of(event: Event, stream: str) -> tuple[Reference, ...]:
    """The distinct cross-stream references of an event appended to ``stream``.

    ``at`` is the event's ``occurred_at``; a reference to the stream's own subject is left
    out.
    """
    seen: set[str] = set()
    out: list[Reference] = []
    for key in reference_keys(event):
        if key == stream or key in seen:
            continue
        seen.add(key)
        out.append(Reference(key=key, at=event.occurred_at))
    return tuple(out)
