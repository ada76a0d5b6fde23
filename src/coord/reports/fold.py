"""The fold of the event log into per-subject state (SPEC §5's raw material).

:class:`FactBuilder` applies non-retracted events in global order. It keeps, per subject,
what the reports need (a transfer's times and chases, a meeting's sites present, ...),
each case's ``CaseListed`` and steps (listings, discussions, deferrals), the protocol
versions, and the earliest fact making each (case, item) available — the only one that
matters, since an item is available at t exactly when its earliest fact occurred by t.
Cross-stream facts are derived from this state by :func:`coord.reports.facts.facts_of`.

Each folded type has one step (:data:`_STEPS`), given the event's data as a mapping of
its fields: a decoded event's model's fields (:meth:`FactBuilder.apply`), or the data as
the store keeps it, JSON of the type's latest schema version
(:meth:`FactBuilder.apply_stored`, what a rebuild reads without decoding every event
again). The steps read only ids, text, integers and lists from it, and turn the few
timestamps and dates they read into values with the same parsers the models use, so both
give the same state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from coord.domain.protocol import ProtocolVersion
from coord.events import Event
from coord.events.records import drafter, freezer, made_as, redrafter
from coord.events.timestamps import parse_date, parse_timestamp
from coord.events.types import (
    AttendanceRecorded,
    CaseDeferred,
    CaseDiscussed,
    CaseListed,
    CaseRelisted,
    EventData,
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

#: an event's data as a mapping of its fields (a model's, or the stored JSON)
Fields = Mapping[str, Any]

_R = TypeVar("_R")


@dataclass(frozen=True, slots=True)
class Step:
    """A listing, relisting, discussion or deferral of a case, as folded."""

    case_id: str
    meeting_id: str
    kind: StepKind
    occurred_at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ListedCase:
    """What the facts take from a case's ``CaseListed``: its patient, pathway and
    presenting site (the event's data, validated when it was appended, is not validated
    again for each case a rebuild folds)."""

    patient_id: str
    pathway: str
    presenting_site: str


_STEP = made_as(Step)
_LISTED_CASE = made_as(ListedCase)
_ARRIVAL = made_as(Arrival)


class FactBuilder:
    """The fold: per-subject state from non-retracted events, applied in global order."""

    def __init__(self) -> None:
        self._position = 0
        self.protocols: dict[str, list[ProtocolVersion]] = {}
        self.cases: dict[str, ListedCase] = {}
        self.listed_at: dict[str, datetime] = {}
        self.listings: list[Step] = []
        self.endings: list[Step] = []
        self.arrivals: dict[tuple[str, str], Arrival] = {}
        self._transfers = _Records(Transfer)
        self._handovers = _Records(Handover)
        self._referrals = _Records(Referral)
        self._meetings = _Records(Meeting)

    @property
    def transfers(self) -> dict[str, Transfer]:
        """The transfers by id, as folded so far."""
        return self._transfers.current()

    @property
    def handovers(self) -> dict[str, Handover]:
        """The handovers by id, as folded so far."""
        return self._handovers.current()

    @property
    def referrals(self) -> dict[str, Referral]:
        """The referrals by id, as folded so far."""
        return self._referrals.current()

    @property
    def meetings(self) -> dict[str, Meeting]:
        """The meetings by id, as folded so far."""
        return self._meetings.current()

    def apply(self, event: Event, position: int | None = None) -> None:
        """Fold one non-retracted event (events of other types are ignored).

        ``position`` is the event's global position in the log, when known: an arrival
        records it as its tie-break (without it, the count of events folded so far), so
        a fold of one subject's events and a fold of the whole log agree."""
        self._position = self._position + 1 if position is None else position
        step = _step_of_model(type(event.data))
        if step is not None:
            step(self, vars(event.data), event.occurred_at, event.event_id)

    def apply_stored(
        self, type_name: str, data: Fields, occurred_at: datetime, event_id: str, position: int
    ) -> None:
        """:meth:`apply` of an event as the store keeps it, already validated when it was
        appended: its type's name and its ``data`` as stored, which must be of its type's
        latest schema version (decode an older one, to upcast it, and :meth:`apply` it)."""
        self._position = position
        step = _STEPS_BY_NAME.get(type_name)
        if step is not None:
            step(self, data, occurred_at, event_id)

    def _arrive(self, case_id: str, item: str, at: datetime, kind: ArrivalKind) -> None:
        """Keep the earliest fact (at equal times, the first in the log)."""
        known = self.arrivals.get((case_id, item))
        if known is None or at < known.arrived_at:
            self.arrivals[(case_id, item)] = _ARRIVAL(case_id, item, at, kind, self._position)


#: one event's step of the fold: (state, data's fields, occurred_at, event_id)
FoldStep = Callable[[FactBuilder, Fields, datetime, str], None]


def _protocol_published(state: FactBuilder, data: Fields, at: datetime, event_id: str) -> None:
    version = ProtocolVersion(
        event_id=event_id,
        version=data["version"],
        occurred_at=at,
        required_items=tuple(data["required_items"]),
    )
    state.protocols.setdefault(data["pathway"], []).append(version)


def _case_listed(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    case_id = data["case_id"]
    state.cases[case_id] = _LISTED_CASE(
        data["patient_id"], data["pathway"], data["presenting_site"]
    )
    state.listed_at[case_id] = at
    state.listings.append(_STEP(case_id, data["meeting_id"], "listed", at))


def _case_relisted(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state.listings.append(_STEP(data["case_id"], data["meeting_id"], "relisted", at))


def _case_discussed(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state.endings.append(_STEP(data["case_id"], data["meeting_id"], "discussed", at))


def _case_deferred(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    step = _STEP(data["case_id"], data["meeting_id"], "deferred", at, data["reason"])
    state.endings.append(step)


def _item_received(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._arrive(data["case_id"], data["item"], at, "received")


def _item_waived(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._arrive(data["case_id"], data["item"], at, "waived")


def _transfer_requested(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._transfers.add(
        data["transfer_id"],
        state._transfers.draft(
            transfer_id=data["transfer_id"],
            patient_id=data["patient_id"],
            item=data["item"],
            from_site=data["from_site"],
            to_site=data["to_site"],
            method=data["method"],
            case_id=data.get("case_id"),
            requested_at=at,
        ),
    )


def _transfer_sent(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._transfers.change(data["transfer_id"], "sent_at", at)


def _transfer_chased(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._transfers.count(data["transfer_id"], "chases")


def _transfer_received(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    transfers, transfer_id = state._transfers, data["transfer_id"]
    if transfers.change(transfer_id, "received_at", at):
        case_id = transfers.field(transfer_id, "case_id")
        if case_id is not None:
            state._arrive(case_id, transfers.field(transfer_id, "item"), at, "transfer")


def _transfer_failed(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._transfers.change(data["transfer_id"], "failed_at", at)


def _handover_initiated(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._handovers.add(
        data["handover_id"],
        state._handovers.draft(
            handover_id=data["handover_id"],
            patient_id=data["patient_id"],
            from_site=data["from_site"],
            to_site=data["to_site"],
            initiated_at=at,
        ),
    )


def _handover_acknowledged(state: FactBuilder, data: Fields, at: datetime, _id: str) -> None:
    state._handovers.change(data["handover_id"], "acknowledged_at", at)


def _handover_declined(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._handovers.change(data["handover_id"], "declined_at", at)


def _handover_completed(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._handovers.change(data["handover_id"], "completed_at", at)


def _referral_made(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._referrals.add(
        data["referral_id"],
        state._referrals.draft(
            referral_id=data["referral_id"],
            patient_id=data["patient_id"],
            pathway=data["pathway"],
            from_site=data["from_site"],
            to_site=data["to_site"],
            priority=data["priority"],
            clock_start=parse_date(data["clock_start"]),
            made_at=at,
        ),
    )


def _referral_received(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._referrals.change(data["referral_id"], "received_at", at)


def _referral_accepted(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._referrals.change(data["referral_id"], "accepted_at", at)


def _referral_rejected(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._referrals.change(data["referral_id"], "rejected_at", at)


def _treatment_started(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._referrals.change(data["referral_id"], "treatment_at", at)


def _meeting_scheduled(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._meetings.add(
        data["meeting_id"],
        state._meetings.draft(
            meeting_id=data["meeting_id"],
            pathway=data["pathway"],
            host_site=data["host_site"],
            scheduled_for=parse_timestamp(data["scheduled_for"]),
            cutoff=parse_timestamp(data["cutoff"]),
        ),
    )


def _technical_issue(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    state._meetings.count(data["meeting_id"], "technical_issues")


def _attendance(state: FactBuilder, data: Fields, at: datetime, _event_id: str) -> None:
    minutes = data.get("minutes_present")
    if minutes is not None and minutes <= 0:
        return
    meetings, meeting_id = state._meetings, data["meeting_id"]
    if meetings.include(meeting_id, "sites_present", data["site"]):
        meetings.include(meeting_id, "groups_present", data["professional_group"])


#: the folded types and their steps (events of every other type are ignored)
_STEPS: dict[type[EventData], FoldStep] = {
    ProtocolPublished: _protocol_published,
    CaseListed: _case_listed,
    CaseRelisted: _case_relisted,
    CaseDiscussed: _case_discussed,
    CaseDeferred: _case_deferred,
    ItemReceived: _item_received,
    ItemWaived: _item_waived,
    TransferRequested: _transfer_requested,
    TransferSent: _transfer_sent,
    TransferChased: _transfer_chased,
    TransferReceived: _transfer_received,
    TransferFailed: _transfer_failed,
    HandoverInitiated: _handover_initiated,
    HandoverAcknowledged: _handover_acknowledged,
    HandoverDeclined: _handover_declined,
    HandoverCompleted: _handover_completed,
    ReferralMade: _referral_made,
    ReferralReceived: _referral_received,
    ReferralAccepted: _referral_accepted,
    ReferralRejected: _referral_rejected,
    TreatmentStarted: _treatment_started,
    MeetingScheduled: _meeting_scheduled,
    TechnicalIssueReported: _technical_issue,
    AttendanceRecorded: _attendance,
}
_STEPS_BY_NAME: dict[str, FoldStep] = {model.TYPE: step for model, step in _STEPS.items()}
#: the names of the types the fold reads (a reader may leave every other type out)
FOLDED_TYPES: frozenset[str] = frozenset(_STEPS_BY_NAME)
_STEP_OF_MODEL: dict[type[Any], FoldStep | None] = {}


def _step_of_model(model: type[Any]) -> FoldStep | None:
    """The step of a data model: of its class or of the nearest folded class it extends
    (a later schema version may subclass the one folded)."""
    try:
        return _STEP_OF_MODEL[model]
    except KeyError:
        step = next((_STEPS[c] for c in model.__mro__ if c in _STEPS), None)
        _STEP_OF_MODEL[model] = step
        return step


class _Records(Generic[_R]):
    """A kind of subject's records by key (frozen dataclasses). A record is added as a
    draft (:attr:`draft`, :func:`~coord.events.records.drafter`): until it is first
    read no one else holds it, so events change it itself, and it becomes a record of
    its frozen class when first handed out (a rebuild's records, read once). The
    fields that events change in a record already read are kept aside until the
    records are read again: a record is copied once per read, not once per event that
    changes it. Sets (attendances' sites and groups) are kept aside as sets in both
    cases, and frozen when read."""

    __slots__ = ("_changes", "_freeze", "_fresh", "_records", "_redraft", "draft")

    def __init__(self, cls: type[_R]) -> None:
        #: the maker of a record to :meth:`add` (a draft until read)
        self.draft = drafter(cls)
        #: a draft copy of a record read, to change when the records are read again
        self._redraft = redrafter(cls)
        self._freeze = freezer(cls)
        self._records: dict[str, _R] = {}
        #: per key, the fields changed since the records were last read
        self._changes: dict[str, dict[str, Any]] = {}
        #: the keys whose records were added (drafts) since the records were last read
        self._fresh: set[str] = set()

    def add(self, key: str, record: _R) -> None:
        self._records[key] = record
        self._changes.pop(key, None)
        self._fresh.add(key)

    def change(self, key: str, name: str, value: Any) -> bool:
        """Set a field of the record of ``key``; False (and nothing done) when no record
        has that key. A record not read yet (a draft) is changed itself."""
        if key in self._fresh:
            setattr(self._records[key], name, value)
            return True
        changes = self._changes.get(key)
        if changes is None:
            if key not in self._records:
                return False
            changes = self._changes[key] = {}
        changes[name] = value
        return True

    def count(self, key: str, name: str) -> None:
        """Add one to a count field of the record of ``key`` (an unknown key is ignored)."""
        if key in self._records:
            self.change(key, name, self.field(key, name) + 1)

    def include(self, key: str, name: str, member: str) -> bool:
        """Add ``member`` to a set field (a frozenset) of the record of ``key``; False
        (and nothing done) when no record has that key."""
        changes = self._changes.get(key)
        members = None if changes is None else changes.get(name)
        if members is None:
            if key not in self._records:
                return False
            # kept aside as a set (frozen when read) even for a draft
            members = set(self.field(key, name))
            self._changes.setdefault(key, {})[name] = members
        members.add(member)
        return True

    def field(self, key: str, name: str) -> Any:
        """A field's value now (the key must be known)."""
        changes = self._changes.get(key)
        if changes is not None and name in changes:
            return changes[name]
        return getattr(self._records[key], name)

    def current(self) -> dict[str, _R]:
        """The records, every change made (a record handed out is never changed after)."""
        records, changed, fresh = self._records, self._changes, self._fresh
        drafts = [records[key] for key in fresh]
        for key, changes in changed.items():
            draft = records[key]
            if key not in fresh:  # a record read before: changed in a copy
                draft = records[key] = self._redraft(draft)
                drafts.append(draft)
            for name, value in changes.items():
                setattr(draft, name, frozenset(value) if isinstance(value, set) else value)
        fresh.clear()
        changed.clear()
        if drafts:
            self._freeze(drafts)
        return records
