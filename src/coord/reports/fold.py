"""The fold of the event log into per-subject state (SPEC §5's raw material).

:class:`FactBuilder` applies non-retracted events in global order. It keeps, per subject,
what the reports need (a transfer's times and chases, a meeting's sites present, ...),
each case's ``CaseListed`` and steps (listings, discussions, deferrals), the protocol
versions, and the earliest fact making each (case, item) available — the only one that
matters, since an item is available at t exactly when its earliest fact occurred by t.
Cross-stream facts are derived from this state by :func:`coord.reports.facts.facts_of`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, TypeVar

from coord.domain.protocol import ProtocolVersion, version_of
from coord.events import Event
from coord.events.types import (
    AttendanceRecorded,
    CaseDeferred,
    CaseDiscussed,
    CaseListed,
    CaseRelisted,
    HandoverAcknowledged,
    HandoverCompleted,
    HandoverDeclined,
    HandoverInitiated,
    ItemReceived,
    ItemWaived,
    MeetingScheduled,
    ProtocolPublished,
    ReferralAccepted,
    ReferralMade,
    ReferralReceived,
    ReferralRejected,
    TechnicalIssueReported,
    TransferChased,
    TransferFailed,
    TransferReceived,
    TransferRequested,
    TransferSent,
    TreatmentStarted,
)
from coord.reports.records import Arrival, ArrivalKind, Handover, Meeting, Referral, Transfer

StepKind = Literal["listed", "relisted", "discussed", "deferred"]


@dataclass(frozen=True, slots=True)
class Step:
    """A listing, relisting, discussion or deferral of a case, as folded."""

    case_id: str
    meeting_id: str
    kind: StepKind
    occurred_at: datetime
    reason: str = ""


class FactBuilder:
    """The fold: per-subject state from non-retracted events, applied in global order."""

    def __init__(self) -> None:
        self._position = 0
        self.protocols: dict[str, list[ProtocolVersion]] = {}
        self.cases: dict[str, CaseListed] = {}
        self.listed_at: dict[str, datetime] = {}
        self.listings: list[Step] = []
        self.endings: list[Step] = []
        self.arrivals: dict[tuple[str, str], Arrival] = {}
        self.transfers: dict[str, Transfer] = {}
        self.handovers: dict[str, Handover] = {}
        self.referrals: dict[str, Referral] = {}
        self.meetings: dict[str, Meeting] = {}

    def apply(self, event: Event, position: int | None = None) -> None:
        """Fold one non-retracted event (events of other types are ignored).

        ``position`` is the event's global position in the log, when known: an arrival
        records it as its tie-break (without it, the count of events folded so far), so
        a fold of one subject's events and a fold of the whole log agree."""
        self._position = self._position + 1 if position is None else position
        data, at = event.data, event.occurred_at
        match data:
            case ProtocolPublished():
                version = version_of(event)
                assert version is not None
                self.protocols.setdefault(data.pathway, []).append(version)
            case CaseListed():
                self.cases[data.case_id] = data
                self.listed_at[data.case_id] = at
                self.listings.append(Step(data.case_id, data.meeting_id, "listed", at))
            case CaseRelisted():
                self.listings.append(Step(data.case_id, data.meeting_id, "relisted", at))
            case CaseDiscussed():
                self.endings.append(Step(data.case_id, data.meeting_id, "discussed", at))
            case CaseDeferred():
                step = Step(data.case_id, data.meeting_id, "deferred", at, data.reason)
                self.endings.append(step)
            case ItemReceived():
                self._arrive(data.case_id, data.item, at, "received")
            case ItemWaived():
                self._arrive(data.case_id, data.item, at, "waived")
            case _:
                self._apply_other(event)

    def _apply_other(self, event: Event) -> None:
        data, at = event.data, event.occurred_at
        match data:
            case TransferRequested():
                self.transfers[data.transfer_id] = Transfer(
                    transfer_id=data.transfer_id,
                    patient_id=data.patient_id,
                    item=data.item,
                    from_site=data.from_site,
                    to_site=data.to_site,
                    method=data.method,
                    case_id=data.case_id,
                    requested_at=at,
                )
            case TransferSent():
                self._transfer(data.transfer_id, lambda t: replace(t, sent_at=at))
            case TransferChased():
                self._transfer(data.transfer_id, lambda t: replace(t, chases=t.chases + 1))
            case TransferReceived():
                transfer = self._transfer(data.transfer_id, lambda t: replace(t, received_at=at))
                if transfer is not None and transfer.case_id is not None:
                    self._arrive(transfer.case_id, transfer.item, at, "transfer")
            case TransferFailed():
                self._transfer(data.transfer_id, lambda t: replace(t, failed_at=at))
            case HandoverInitiated():
                self.handovers[data.handover_id] = Handover(
                    handover_id=data.handover_id,
                    patient_id=data.patient_id,
                    from_site=data.from_site,
                    to_site=data.to_site,
                    initiated_at=at,
                )
            case HandoverAcknowledged():
                self._handover(data.handover_id, lambda h: replace(h, acknowledged_at=at))
            case HandoverDeclined():
                self._handover(data.handover_id, lambda h: replace(h, declined_at=at))
            case HandoverCompleted():
                self._handover(data.handover_id, lambda h: replace(h, completed_at=at))
            case _:
                self._apply_referral_or_meeting(event)

    def _apply_referral_or_meeting(self, event: Event) -> None:
        data, at = event.data, event.occurred_at
        match data:
            case ReferralMade():
                self.referrals[data.referral_id] = Referral(
                    referral_id=data.referral_id,
                    patient_id=data.patient_id,
                    pathway=data.pathway,
                    from_site=data.from_site,
                    to_site=data.to_site,
                    priority=data.priority,
                    clock_start=data.clock_start,
                    made_at=at,
                )
            case ReferralReceived():
                self._referral(data.referral_id, lambda r: replace(r, received_at=at))
            case ReferralAccepted():
                self._referral(data.referral_id, lambda r: replace(r, accepted_at=at))
            case ReferralRejected():
                self._referral(data.referral_id, lambda r: replace(r, rejected_at=at))
            case TreatmentStarted():
                self._referral(data.referral_id, lambda r: replace(r, treatment_at=at))
            case MeetingScheduled():
                self.meetings[data.meeting_id] = Meeting(
                    meeting_id=data.meeting_id,
                    pathway=data.pathway,
                    host_site=data.host_site,
                    scheduled_for=data.scheduled_for,
                    cutoff=data.cutoff,
                )
            case TechnicalIssueReported():
                self._meeting(
                    data.meeting_id, lambda m: replace(m, technical_issues=m.technical_issues + 1)
                )
            case AttendanceRecorded() if data.minutes_present is None or data.minutes_present > 0:
                site, group = data.site, data.professional_group
                self._meeting(
                    data.meeting_id,
                    lambda m: replace(
                        m,
                        sites_present=m.sites_present | {site},
                        groups_present=m.groups_present | {group},
                    ),
                )
            case _:
                pass

    def _arrive(self, case_id: str, item: str, at: datetime, kind: ArrivalKind) -> None:
        """Keep the earliest fact (at equal times, the first in the log)."""
        known = self.arrivals.get((case_id, item))
        if known is None or at < known.arrived_at:
            self.arrivals[(case_id, item)] = Arrival(case_id, item, at, kind, self._position)

    def _transfer(self, key: str, change: Callable[[Transfer], Transfer]) -> Transfer | None:
        return _update(self.transfers, key, change)

    def _handover(self, key: str, change: Callable[[Handover], Handover]) -> None:
        _update(self.handovers, key, change)

    def _referral(self, key: str, change: Callable[[Referral], Referral]) -> None:
        _update(self.referrals, key, change)

    def _meeting(self, key: str, change: Callable[[Meeting], Meeting]) -> None:
        _update(self.meetings, key, change)

    # --- derivation -------------------------------------------------------------------


_R = TypeVar("_R")


def _update(records: dict[str, _R], key: str, change: Callable[[_R], _R]) -> _R | None:
    """Replace ``records[key]`` by ``change(records[key])`` (an unknown key is ignored)."""
    record = records.get(key)
    if record is None:
        return None
    records[key] = changed = change(record)
    return changed
