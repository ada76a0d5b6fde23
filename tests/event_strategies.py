"""Hypothesis strategies for random, mostly invalid event sequences over a few ids, with an
optional valid prelude so that random events reach the deeper rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from coord.events import Event, InvalidEvent, decode_event, format_timestamp

LONDON = ZoneInfo("Europe/London")
NHS_1 = "9434765919"
NHS_2 = "9434765870"
BASE = datetime(2024, 3, 1, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
TYPES = [
    "SiteRegistered", "ProtocolPublished", "PatientRegistered", "ReferralMade",
    "ReferralReceived", "ReferralAccepted", "ReferralRejected", "TreatmentStarted",
    "MeetingScheduled", "AttendanceRecorded", "TechnicalIssueReported", "CaseListed",
    "ItemReceived", "ItemWaived", "CaseDeferred", "CaseDiscussed", "CaseRelisted",
    "ActionAgreed", "ActionCompleted", "OutcomeCommunicated", "TransferRequested",
    "TransferSent", "TransferChased", "TransferReceived", "TransferFailed",
    "HandoverInitiated", "HandoverAcknowledged", "HandoverDeclined", "HandoverCompleted",
    "EventRetracted",
]  # fmt: skip


def eid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def ts(hours: int) -> str:
    return format_timestamp(BASE + timedelta(hours=hours))


@st.composite
def raw_event(draw: st.DrawFn, index: int) -> dict[str, Any]:
    pick = lambda *options: draw(st.sampled_from(options))  # noqa: E731
    kind = draw(st.sampled_from(TYPES))
    site = lambda: pick("S1", "S2", "S3")  # noqa: E731
    data: dict[str, Any] = {}
    subject = {
        "Referral": ("referral_id", "R1", "R2"), "Treatment": ("referral_id", "R1", "R2"),
        "Meeting": ("meeting_id", "M1", "M2"), "Attendance": ("meeting_id", "M1", "M2"),
        "Technical": ("meeting_id", "M1", "M2"), "Case": ("case_id", "C1", "C2"),
        "Item": ("case_id", "C1", "C2"), "Action": ("case_id", "C1", "C2"),
        "Outcome": ("case_id", "C1", "C2"), "Transfer": ("transfer_id", "T1", "T2"),
        "Handover": ("handover_id", "H1", "H2"),
    }  # fmt: skip
    for prefix, (name, *ids) in subject.items():
        if kind.startswith(prefix):
            data[name] = pick(*ids)
    meeting = lambda: pick("M1", "M2")  # noqa: E731
    pathway = lambda: pick("prostate", "kidney")  # noqa: E731
    match kind:
        case "SiteRegistered":
            data.update(site_id=site(), name="n", specialist_for=[])
        case "ProtocolPublished":
            data.update(pathway=pathway(), version=draw(st.integers(1, 3)), required_items=["x"])
        case "PatientRegistered":
            data.update(patient_id=pick("P1", "P2"))
            if draw(st.booleans()):
                data["nhs_number"] = pick(NHS_1, NHS_2, "9434765911")
        case "ReferralMade":
            data.update(
                patient_id=pick("P1", "P2"),
                pathway=pathway(),
                from_site=site(),
                to_site=site(),
                priority="urgent",
                clock_start="2024-03-01",
            )
        case "ReferralRejected" | "TransferFailed" | "HandoverDeclined":
            data["reason"] = "r"
        case "TreatmentStarted":
            data["modality"] = "surgery"
        case "MeetingScheduled":
            at = draw(st.integers(0, 240))
            data.update(
                pathway=pathway(),
                host_site=site(),
                scheduled_for=ts(at),
                cutoff=ts(at - draw(st.integers(-2, 30))),
            )
        case "AttendanceRecorded":
            data.update(attendee_id="a", site=site(), professional_group="surgeon")
        case "TechnicalIssueReported":
            data["kind"] = "video_link"
        case "CaseListed":
            data.update(
                patient_id=pick("P1", "P2"),
                meeting_id=meeting(),
                pathway=pick("prostate", "prostate", "kidney"),
                presenting_site=site(),
            )
            if not draw(st.integers(0, 3)):
                data["referral_id"] = pick("R1", "R2")
        case "ItemReceived":
            data["item"] = "x"
        case "ItemWaived":
            data.update(item="x", reason="r")
        case "CaseDeferred":
            data.update(meeting_id=meeting(), reason="time")
        case "CaseDiscussed":
            data.update(meeting_id=meeting(), outcome="o")
        case "CaseRelisted":
            data["meeting_id"] = meeting()
        case "ActionAgreed":
            data.update(
                action_id=pick("A1", "A2"), owner_site=site(), description="d", due="2024-04-01"
            )
        case "ActionCompleted":
            data["action_id"] = pick("A1", "A2")
        case "OutcomeCommunicated":
            data["to_site"] = site()
        case "TransferRequested":
            data.update(
                patient_id=pick("P1", "P2"),
                item="x",
                from_site=site(),
                to_site=site(),
                method="iep",
            )
            if draw(st.booleans()):
                data["case_id"] = pick("C1", "C2")
        case "HandoverInitiated":
            data.update(
                patient_id=pick("P1", "P2"),
                from_site=site(),
                to_site=site(),
                from_role="a",
                to_role="b",
                reason="r",
            )
        case "EventRetracted":
            data.update(event_id=eid(draw(st.integers(0, max(index, 1)))), reason="r")
    own = index if draw(st.integers(0, 9)) else draw(st.integers(0, max(index - 1, 0)))
    # roughly increasing times, so that lifecycles can progress
    at = index * 5 + draw(st.integers(-10, 10))
    return {"event_id": eid(own), "type": kind, "occurred_at": ts(at), "data": data}


def prelude() -> list[dict[str, Any]]:
    """Valid reference data, so that random events reach the deeper rules."""
    raw: list[dict[str, Any]] = []

    def add(kind: str, hours: int, **data: Any) -> None:
        raw.append(
            {"event_id": eid(len(raw)), "type": kind, "occurred_at": ts(hours), "data": data}
        )

    for site in ("S1", "S2", "S3"):
        add("SiteRegistered", -48, site_id=site, name="n", specialist_for=[])
    for pathway in ("prostate", "kidney"):
        add("ProtocolPublished", -48, pathway=pathway, version=1, required_items=["x"])
    add("PatientRegistered", -48, patient_id="P1", nhs_number=NHS_1)
    add("PatientRegistered", -48, patient_id="P2")
    add(
        "MeetingScheduled",
        -48,
        meeting_id="M1",
        pathway="prostate",
        host_site="S1",
        scheduled_for=ts(100),
        cutoff=ts(90),
    )
    add(
        "MeetingScheduled",
        -48,
        meeting_id="M2",
        pathway="prostate",
        host_site="S2",
        scheduled_for=ts(200),
        cutoff=ts(190),
    )
    return raw


@st.composite
def event_lists(draw: st.DrawFn) -> list[Event]:
    events: list[Event] = []
    start = 0
    if draw(st.integers(0, 3)):
        events = [decode_event(raw) for raw in prelude()]
        start = len(events)
    for index in range(start, start + draw(st.integers(1, 40))):
        try:
            events.append(decode_event(draw(raw_event(index))))
        except InvalidEvent:
            continue
    return events
