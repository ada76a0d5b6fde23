"""Stream ``transfer:<transfer_id>``: requested → sent? → chased* → received | failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.domain.case import CaseState
from coord.domain.streams import (
    Context,
    StreamRules,
    different_sites,
    first_problem,
    missing_patient,
    missing_site,
    named_subject,
    when,
)
from coord.events import Event
from coord.events.records import replacer
from coord.events.types import TransferRequested

_CLOSINGS = {"TransferReceived": "received", "TransferFailed": "marked failed"}


@dataclass(frozen=True, slots=True)
class TransferState:
    requested_at: datetime | None = None
    patient_id: str | None = None
    case_id: str | None = None
    item: str | None = None
    sent_at: datetime | None = None
    #: "received" or "marked failed" once closed
    closed: str | None = None
    closed_at: datetime | None = None


#: a state with these fields replaced, made quickly (once for most events): as
#: dataclasses.replace, which reads each field by name and builds the state by its frozen
#: __init__, at about a third of the cost
_sent = replacer(TransferState, "sent_at")
_closed = replacer(TransferState, "closed", "closed_at")


def evolve(state: TransferState, event: Event) -> TransferState:
    data = event.data
    if isinstance(data, TransferRequested):
        return TransferState(
            requested_at=event.occurred_at,
            patient_id=data.patient_id,
            case_id=data.case_id,
            item=data.item,
        )
    match event.type:
        case "TransferSent":
            return _sent(state, event.occurred_at)
        case "TransferReceived" | "TransferFailed":
            return _closed(state, _CLOSINGS[event.type], event.occurred_at)
    return state


def check(state: TransferState, event: Event, tz: ZoneInfo) -> str | None:
    if event.type == "TransferRequested":
        if state.requested_at is not None:
            return f"{named_subject(event)} was already requested (at {when(state.requested_at)}); use a new id"
        return different_sites("transfer", event)
    if state.closed is not None and state.closed_at is not None:
        return (
            f"{named_subject(event)} was {state.closed} at {when(state.closed_at)}; it takes no further "
            "events: request a new transfer instead"
        )
    if event.type == "TransferSent" and state.sent_at is not None:
        return f"{named_subject(event)} was already sent (at {when(state.sent_at)})"
    if event.type in _CLOSINGS and state.sent_at is not None and event.occurred_at < state.sent_at:
        return (
            f"{event.type} occurs at {when(event.occurred_at)}, before {named_subject(event)} was sent "
            f"({when(state.sent_at)}); check the time"
        )
    return None


def check_links(state: TransferState, event: Event, ctx: Context) -> str | None:
    data = event.data
    if not isinstance(data, TransferRequested):
        return None
    patient_id = data.patient_id
    problem = first_problem(
        missing_patient(ctx, patient_id),
        missing_site(ctx, data.from_site, "from_site"),
        missing_site(ctx, data.to_site, "to_site"),
    )
    case_id = data.case_id
    if problem is not None or case_id is None:
        return problem
    view = ctx.view(f"case:{case_id}")
    if not view.exists:
        return f"case {case_id} is not listed; list the case first, or leave case_id out"
    case_patient = view.state.patient_id if isinstance(view.state, CaseState) else None
    if case_patient != patient_id:
        return f"case {case_id} is for patient {case_patient}, not {patient_id}; check the case id"
    return None


RULES: StreamRules[TransferState] = StreamRules(
    kind="transfer",
    opener="TransferRequested",
    missing="has not been requested",
    initial=TransferState(),
    evolve=evolve,
    check=check,
    check_links=check_links,
)
