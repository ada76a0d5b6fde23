"""One frozen pydantic model per event type of SPEC §4 (schema_version 1).

Each model is the ``data`` of an event. The stream an event belongs to is named by
``STREAM`` (the stream kind) and ``SUBJECT`` (the field holding the subject id); see
:mod:`coord.events.registry`.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coord.events.fields import (
    Day,
    EventId,
    Id,
    Item,
    NonNegativeInt,
    Pathway,
    PositiveInt,
    Text,
    Timestamp,
)


class EventData(BaseModel):
    """Base of every event's ``data``: strict, frozen, unknown fields rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    TYPE: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1
    #: stream kind: ``site``, ``protocol``, ``patient``, ``referral``, ``meeting``,
    #: ``case``, ``transfer``, ``handover``; empty for a retraction (target's stream)
    STREAM: ClassVar[str] = ""
    SUBJECT: ClassVar[str] = ""


Priority = Literal["urgent", "routine"]
ProfessionalGroup = Literal[
    "surgeon",
    "oncologist",
    "radiologist",
    "pathologist",
    "cns",
    "ahp",
    "coordinator",
    "navigator",
    "manager",
    "other",
]
TechnicalIssueKind = Literal["video_link", "remote_access", "other"]
DeferralReason = Literal[
    "missing_information", "clinician_unavailable", "technical", "time", "other"
]
TransferMethod = Literal["iep", "pacs", "email", "courier", "portal", "other"]

# --- network reference data -------------------------------------------------------


class SiteRegistered(EventData):
    TYPE = "SiteRegistered"
    STREAM = "site"
    SUBJECT = "site_id"
    site_id: Id
    name: Text
    specialist_for: list[Pathway]


class ProtocolPublished(EventData):
    TYPE = "ProtocolPublished"
    STREAM = "protocol"
    SUBJECT = "pathway"
    pathway: Pathway
    version: PositiveInt
    required_items: list[Item] = Field(min_length=1)

    @field_validator("required_items")
    @classmethod
    def _distinct(cls, items: list[str]) -> list[str]:
        seen: set[str] = set()
        for item in items:
            if item in seen:
                raise ValueError(f"item {item!r} is listed twice; list each required item once")
            seen.add(item)
        return items


class PatientRegistered(EventData):
    TYPE = "PatientRegistered"
    STREAM = "patient"
    SUBJECT = "patient_id"
    patient_id: Id
    nhs_number: str | None = None


# --- referrals ----------------------------------------------------------------------


class _ReferralEvent(EventData):
    STREAM = "referral"
    SUBJECT = "referral_id"
    referral_id: Id


class ReferralMade(_ReferralEvent):
    TYPE = "ReferralMade"
    patient_id: Id
    pathway: Pathway
    from_site: Id
    to_site: Id
    priority: Priority
    clock_start: Day


class ReferralReceived(_ReferralEvent):
    TYPE = "ReferralReceived"


class ReferralAccepted(_ReferralEvent):
    TYPE = "ReferralAccepted"


class ReferralRejected(_ReferralEvent):
    TYPE = "ReferralRejected"
    reason: Text


class TreatmentStarted(_ReferralEvent):
    TYPE = "TreatmentStarted"
    modality: Text


# --- SMDT meetings ------------------------------------------------------------------


class _MeetingEvent(EventData):
    STREAM = "meeting"
    SUBJECT = "meeting_id"
    meeting_id: Id


class MeetingScheduled(_MeetingEvent):
    TYPE = "MeetingScheduled"
    pathway: Pathway
    host_site: Id
    scheduled_for: Timestamp
    cutoff: Timestamp


class AttendanceRecorded(_MeetingEvent):
    TYPE = "AttendanceRecorded"
    attendee_id: Id
    site: Id
    professional_group: ProfessionalGroup
    minutes_present: NonNegativeInt | None = None


class TechnicalIssueReported(_MeetingEvent):
    TYPE = "TechnicalIssueReported"
    kind: TechnicalIssueKind
    note: Text | None = None


# --- SMDT cases ---------------------------------------------------------------------


class _CaseEvent(EventData):
    STREAM = "case"
    SUBJECT = "case_id"
    case_id: Id


class CaseListed(_CaseEvent):
    TYPE = "CaseListed"
    patient_id: Id
    meeting_id: Id
    pathway: Pathway
    presenting_site: Id
    referral_id: Id | None = None


class ItemReceived(_CaseEvent):
    TYPE = "ItemReceived"
    item: Item


class ItemWaived(_CaseEvent):
    TYPE = "ItemWaived"
    item: Item
    reason: Text


class CaseDeferred(_CaseEvent):
    TYPE = "CaseDeferred"
    meeting_id: Id
    reason: DeferralReason


class CaseDiscussed(_CaseEvent):
    TYPE = "CaseDiscussed"
    meeting_id: Id
    outcome: Text


class CaseRelisted(_CaseEvent):
    TYPE = "CaseRelisted"
    meeting_id: Id


class ActionAgreed(_CaseEvent):
    TYPE = "ActionAgreed"
    action_id: Id
    owner_site: Id
    description: Text
    due: Day


class ActionCompleted(_CaseEvent):
    TYPE = "ActionCompleted"
    action_id: Id


class OutcomeCommunicated(_CaseEvent):
    TYPE = "OutcomeCommunicated"
    to_site: Id


# --- transfers ----------------------------------------------------------------------


class _TransferEvent(EventData):
    STREAM = "transfer"
    SUBJECT = "transfer_id"
    transfer_id: Id


class TransferRequested(_TransferEvent):
    TYPE = "TransferRequested"
    patient_id: Id
    item: Item
    from_site: Id
    to_site: Id
    method: TransferMethod
    case_id: Id | None = None


class TransferSent(_TransferEvent):
    TYPE = "TransferSent"


class TransferChased(_TransferEvent):
    TYPE = "TransferChased"


class TransferReceived(_TransferEvent):
    TYPE = "TransferReceived"


class TransferFailed(_TransferEvent):
    TYPE = "TransferFailed"
    reason: Text


# --- handovers ----------------------------------------------------------------------


class _HandoverEvent(EventData):
    STREAM = "handover"
    SUBJECT = "handover_id"
    handover_id: Id


class HandoverInitiated(_HandoverEvent):
    TYPE = "HandoverInitiated"
    patient_id: Id
    from_site: Id
    to_site: Id
    from_role: Text
    to_role: Text
    reason: Text


class HandoverAcknowledged(_HandoverEvent):
    TYPE = "HandoverAcknowledged"


class HandoverDeclined(_HandoverEvent):
    TYPE = "HandoverDeclined"
    reason: Text


class HandoverCompleted(_HandoverEvent):
    TYPE = "HandoverCompleted"


# --- corrections --------------------------------------------------------------------


class EventRetracted(EventData):
    """Makes projections and reports ignore its target; stream: the target's stream."""

    TYPE = "EventRetracted"
    event_id: EventId
    reason: Text


ALL_TYPES: tuple[type[EventData], ...] = (
    SiteRegistered,
    ProtocolPublished,
    PatientRegistered,
    ReferralMade,
    ReferralReceived,
    ReferralAccepted,
    ReferralRejected,
    TreatmentStarted,
    MeetingScheduled,
    AttendanceRecorded,
    TechnicalIssueReported,
    CaseListed,
    ItemReceived,
    ItemWaived,
    CaseDeferred,
    CaseDiscussed,
    CaseRelisted,
    ActionAgreed,
    ActionCompleted,
    OutcomeCommunicated,
    TransferRequested,
    TransferSent,
    TransferChased,
    TransferReceived,
    TransferFailed,
    HandoverInitiated,
    HandoverAcknowledged,
    HandoverDeclined,
    HandoverCompleted,
    EventRetracted,
)
