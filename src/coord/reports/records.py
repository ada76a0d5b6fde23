"""The fact records the reports read: plain frozen dataclasses, one per subject (a
referral, a transfer, a handover, a meeting, a case) or per step of a case (a listing,
a discussion, a deferral, an item's first arrival).

They hold values only (ids, instants, dates, counts, sets of names), so that a
projection can keep them as table rows; :mod:`coord.reports.facts` derives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

ListingKind = Literal["listed", "relisted"]
#: how an item first became available for a case: ItemReceived, a TransferReceived of a
#: transfer requested for the case and item, or ItemWaived
ArrivalKind = Literal["received", "transfer", "waived"]


@dataclass(frozen=True, slots=True)
class Case:
    """A case as its ``CaseListed`` opened it, with its protocol's required items."""

    case_id: str
    patient_id: str
    pathway: str
    presenting_site: str
    listed_at: datetime
    #: the ``required_items`` of the protocol in force at ``listed_at`` (empty if none)
    required_items: tuple[str, ...]
    protocol_version: int | None


@dataclass(frozen=True, slots=True)
class Arrival:
    """The earliest non-retracted fact making ``item`` available for ``case_id``
    (earliest ``occurred_at``; at equal times, the first in the log)."""

    case_id: str
    item: str
    arrived_at: datetime
    arrived_by: ArrivalKind
    position: int


@dataclass(frozen=True, slots=True)
class Listing:
    """A ``CaseListed`` or ``CaseRelisted``: the case listed for a meeting."""

    case_id: str
    meeting_id: str
    kind: ListingKind
    occurred_at: datetime
    pathway: str
    presenting_site: str
    required_items: tuple[str, ...]
    #: every required item available at the meeting's cutoff
    ready_at_cutoff: bool


@dataclass(frozen=True, slots=True)
class Discussion:
    """A ``CaseDiscussed``, with the required items available when it occurred."""

    case_id: str
    meeting_id: str
    patient_id: str
    pathway: str
    presenting_site: str
    occurred_at: datetime
    required_items: tuple[str, ...]
    available_items: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return len(self.available_items) == len(self.required_items)

    @property
    def missing_items(self) -> tuple[str, ...]:
        return tuple(i for i in self.required_items if i not in self.available_items)


@dataclass(frozen=True, slots=True)
class Deferral:
    """A ``CaseDeferred``, with the required items available when it occurred."""

    case_id: str
    meeting_id: str
    patient_id: str
    pathway: str
    presenting_site: str
    occurred_at: datetime
    reason: str
    required_items: tuple[str, ...]
    available_items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Transfer:
    transfer_id: str
    patient_id: str
    item: str
    from_site: str
    to_site: str
    method: str
    case_id: str | None
    requested_at: datetime
    sent_at: datetime | None = None
    received_at: datetime | None = None
    failed_at: datetime | None = None
    chases: int = 0

    @property
    def open(self) -> bool:
        return self.received_at is None and self.failed_at is None


@dataclass(frozen=True, slots=True)
class Handover:
    handover_id: str
    patient_id: str
    from_site: str
    to_site: str
    initiated_at: datetime
    acknowledged_at: datetime | None = None
    declined_at: datetime | None = None
    completed_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.acknowledged_at is None and self.declined_at is None


@dataclass(frozen=True, slots=True)
class Referral:
    referral_id: str
    patient_id: str
    pathway: str
    from_site: str
    to_site: str
    priority: str
    clock_start: date
    made_at: datetime
    received_at: datetime | None = None
    accepted_at: datetime | None = None
    rejected_at: datetime | None = None
    treatment_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Meeting:
    meeting_id: str
    pathway: str
    host_site: str
    scheduled_for: datetime
    cutoff: datetime
    technical_issues: int = 0
    #: sites and professional groups present (attendance with minutes_present absent or > 0)
    sites_present: frozenset[str] = frozenset()
    groups_present: frozenset[str] = frozenset()
