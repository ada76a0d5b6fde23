"""Building :class:`Accepted` records for store tests, without the domain's Ledger."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from coord.domain.log import Accepted, Reference
from coord.events import decode_event

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def site(
    site_id: str,
    version: int = 1,
    recorded: datetime | None = None,
    event_id: str | None = None,
    **envelope: Any,
) -> Accepted:
    raw: dict[str, Any] = {
        "event_id": event_id or str(uuid.uuid4()),
        "type": "SiteRegistered",
        "occurred_at": "2025-03-01T08:00:00.123456Z",
        "data": {"site_id": site_id, "name": f"Site {site_id} – Ørsted", "specialist_for": []},
        **envelope,
    }
    event = decode_event(raw).recorded(recorded or at(0))
    return Accepted(event=event, stream=f"site:{site_id}", version=version, references=())


def patient(patient_id: str, site_ref: str, recorded: datetime | None = None) -> Accepted:
    raw = {
        "type": "PatientRegistered",
        "occurred_at": "2025-03-01T08:30:00+01:00",
        "actor": {"user": "ana", "site": site_ref},
        "data": {"patient_id": patient_id},
    }
    event = decode_event(raw).recorded(recorded or at(0))
    refs = (Reference(key=f"site:{site_ref}", at=event.occurred_at),)
    return Accepted(event=event, stream=f"patient:{patient_id}", version=1, references=refs)


def retraction(target: Accepted, version: int, recorded: datetime | None = None) -> Accepted:
    raw = {
        "type": "EventRetracted",
        "occurred_at": "2025-03-01T10:00:00Z",
        "data": {"event_id": target.event.event_id, "reason": "entered in error"},
    }
    event = decode_event(raw).recorded(recorded or at(1))
    refs = (Reference(key=f"event:{target.event.event_id}", at=event.occurred_at),)
    return Accepted(event=event, stream=target.stream, version=version, references=refs)
