"""Small builders for domain tests: events from keyword arguments, and a world to add
them to (an InMemoryLog decided by a Ledger)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from coord.domain import Accepted, Decision, InMemoryLog, Ledger, Rejected
from coord.events import Event, decode_event, parse_timestamp

LONDON = ZoneInfo("Europe/London")
NOW = "2026-01-01T00:00Z"
#: valid NHS numbers (Modulus 11)
NHS_1 = "9434765919"
NHS_2 = "9434765870"


def ev(
    type_: str,
    occurred_at: str,
    *,
    eid: str | None = None,
    recorded_at: str | None = None,
    actor: dict[str, str] | None = None,
    **data: Any,
) -> Event:
    """An event from its type, occurrence time and data fields (via decode_event);
    ``eid`` is the envelope's event_id (``event_id`` is a data field, of retractions)."""
    raw: dict[str, Any] = {"type": type_, "occurred_at": occurred_at, "data": data}
    if eid is not None:
        raw["event_id"] = eid
    if recorded_at is not None:
        raw["recorded_at"] = recorded_at
    if actor is not None:
        raw["actor"] = actor
    return decode_event(raw)


def retract(target: Event, occurred_at: str, reason: str = "entered in error") -> Event:
    return ev("EventRetracted", occurred_at, event_id=target.event_id, reason=reason)


class World:
    """A log, and a way to decide and add events to it one at a time."""

    def __init__(self, now: str = NOW, tz: ZoneInfo = LONDON) -> None:
        self.log = InMemoryLog()
        self.now: datetime = parse_timestamp(now)
        self.tz = tz

    def ledger(self, recorded_now: bool = False) -> Ledger:
        return Ledger(self.log, time_zone=self.tz, now=self.now, recorded_now=recorded_now)

    def decide(self, event: Event) -> Decision:
        return self.ledger().decide(event)

    def add(self, *events: Event) -> Event:
        """Append each event, which must be accepted; returns the last one."""
        for event in events:
            decision = self.decide(event)
            assert isinstance(decision, Accepted), getattr(decision, "reason", decision)
            self.log.append(decision)
        return events[-1]

    def rejects(self, event: Event) -> str:
        """The reason the event is rejected (fails if it is accepted)."""
        decision = self.decide(event)
        assert isinstance(decision, Rejected), f"{event.type} was accepted"
        return decision.reason

    def accepts(self, event: Event) -> Event:
        return self.add(event)


def network(world: World) -> World:
    """Three sites, two patients, a prostate and a kidney protocol, prostate meetings M1
    (2024-03-05 10:00Z) and M2 (2024-03-12 10:00Z) and kidney meeting K1."""
    world.add(
        ev(
            "ProtocolPublished",
            "2024-01-01T00:00Z",
            pathway="prostate",
            version=1,
            required_items=["imaging", "pathology_report"],
        ),
        ev(
            "ProtocolPublished",
            "2024-01-01T00:00Z",
            pathway="kidney",
            version=1,
            required_items=["imaging"],
        ),
        *(
            ev(
                "SiteRegistered",
                "2024-01-01T09:00Z",
                site_id=s,
                name=f"Site {s}",
                specialist_for=["prostate"],
            )
            for s in ("S1", "S2", "S3")
        ),
        ev("PatientRegistered", "2024-01-01T10:00Z", patient_id="P1", nhs_number=NHS_1),
        ev("PatientRegistered", "2024-01-01T10:00Z", patient_id="P2"),
        meeting("M1", "2024-03-05T10:00Z"),
        meeting("M2", "2024-03-12T10:00Z"),
        meeting("K1", "2024-03-06T10:00Z", pathway="kidney"),
    )
    return world


def meeting(
    meeting_id: str,
    scheduled_for: str,
    *,
    pathway: str = "prostate",
    cutoff: str | None = None,
    at: str = "2024-01-02T00:00Z",
) -> Event:
    return ev(
        "MeetingScheduled",
        at,
        meeting_id=meeting_id,
        pathway=pathway,
        host_site="S1",
        scheduled_for=scheduled_for,
        cutoff=cutoff or scheduled_for,
    )


def listed(case_id: str = "C1", at: str = "2024-02-01T09:00Z", **data: Any) -> Event:
    fields: dict[str, Any] = {
        "patient_id": "P1",
        "meeting_id": "M1",
        "pathway": "prostate",
        "presenting_site": "S2",
    }
    fields.update(data)
    return ev("CaseListed", at, case_id=case_id, **fields)


def requested(transfer_id: str = "T1", at: str = "2024-02-01T09:00Z", **data: Any) -> Event:
    fields: dict[str, Any] = {
        "patient_id": "P1",
        "item": "imaging",
        "from_site": "S2",
        "to_site": "S1",
        "method": "iep",
    }
    fields.update(data)
    return ev("TransferRequested", at, transfer_id=transfer_id, **fields)


def referral(referral_id: str = "R1", at: str = "2024-02-01T09:00Z", **data: Any) -> Event:
    fields: dict[str, Any] = {
        "patient_id": "P1",
        "pathway": "prostate",
        "from_site": "S2",
        "to_site": "S1",
        "priority": "urgent",
        "clock_start": "2024-02-01",
    }
    fields.update(data)
    return ev("ReferralMade", at, referral_id=referral_id, **fields)


def handover(handover_id: str = "H1", at: str = "2024-02-01T09:00Z", **data: Any) -> Event:
    fields: dict[str, Any] = {
        "patient_id": "P1",
        "from_site": "S1",
        "to_site": "S2",
        "from_role": "urology",
        "to_role": "oncology",
        "reason": "follow-up",
    }
    fields.update(data)
    return ev("HandoverInitiated", at, handover_id=handover_id, **fields)
