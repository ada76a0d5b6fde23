"""The cross-stream references an event holds (the keys of :class:`Reference`), and what
deciding an event reads of the log besides its own stream (so that it can be loaded in
bulk first)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from coord.domain.log import Reference
from coord.domain.nhs import nhs_key
from coord.events import Event
from coord.events.records import builder
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
#: (key prefix, data field) of every key of an event type, in the order of
#: :func:`reference_keys`: the other subjects, then the sites
_KEY_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    name: (*_SUBJECT_FIELDS.get(name, ()), *(("site", f) for f in _SITE_FIELDS.get(name, ())))
    for name in {*_SITE_FIELDS, *_SUBJECT_FIELDS}
}


#: Reference(key, at), built quickly (for most events)
_reference = builder(Reference)


def reference_keys(event: Event) -> list[str]:
    """Every reference key of the event, in a stable order, possibly repeated."""
    data = event.data
    keys: list[str] = []
    for prefix, name in _KEY_FIELDS.get(event.type, ()):
        value = getattr(data, name, None)
        if value is not None:
            keys.append(f"{prefix}:{value}")
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
    keys = reference_keys(event)
    if not keys:
        return ()
    at = event.occurred_at
    if len(keys) == 1:
        return () if keys[0] == stream else (_reference(keys[0], at),)
    seen: set[str] = {stream}
    out: list[Reference] = []
    for key in keys:
        if key not in seen:
            seen.add(key)
            out.append(_reference(key, at))
    return tuple(out)


#: (stream kind, data field) of the other streams the rules of an event type read:
#: the subjects and sites it names, and for a listing its pathway's protocol
_READ_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    **_KEY_FIELDS,
    "CaseListed": (*_KEY_FIELDS["CaseListed"], ("protocol", "pathway")),
    "CaseDeferred": (("meeting", "meeting_id"),),
    "CaseDiscussed": (("meeting", "meeting_id"),),
}


@dataclass
class Reads:
    """What deciding some events reads of the stored log: events by id (duplicates and
    retraction targets), whole streams, and referrers by reference key."""

    event_ids: list[str] = field(default_factory=list)
    streams: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


def reads_of(events: Iterable[Event]) -> Reads:
    """What the rules will read to decide ``events`` (their own streams, the streams they
    link to, the keys they look up); a retraction's target stream is known only once its
    target is found, so it is left out. Reading more than this is harmless, and anything
    left out is read when it is needed."""
    reads = Reads()
    streams: dict[str, None] = {}
    for event in events:
        reads.event_ids.append(event.event_id)
        data = event.data
        if isinstance(data, EventRetracted):
            reads.event_ids.append(data.event_id)
            continue
        own = event.own_stream
        if own is not None:
            streams[own] = None
        for kind, name in _READ_FIELDS.get(event.type, ()):
            value = getattr(data, name, None)
            if value is not None:
                streams[f"{kind}:{value}"] = None
        if isinstance(data, PatientRegistered) and data.nhs_number is not None:
            reads.keys.append(nhs_key(data.nhs_number))
        elif event.type == "ProtocolPublished":
            reads.keys.append(f"listing:{event.subject}")
    reads.streams = list(streams)
    return reads
