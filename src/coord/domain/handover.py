"""Stream ``handover:<handover_id>``: initiated → acknowledged | declined → completed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.domain.streams import (
    Context,
    StreamRules,
    first_problem,
    missing_patient,
    missing_site,
    named_subject,
    when,
)
from coord.events import Event
from coord.events.records import replacer
from coord.events.types import HandoverInitiated

_RESPONSES = {"HandoverAcknowledged": "acknowledged", "HandoverDeclined": "declined"}


@dataclass(frozen=True, slots=True)
class HandoverState:
    initiated_at: datetime | None = None
    #: "acknowledged" or "declined"
    response: str | None = None
    responded_at: datetime | None = None
    completed_at: datetime | None = None


#: a state with these fields replaced, made quickly (see transfer's)
_responded = replacer(HandoverState, "response", "responded_at")
_completed = replacer(HandoverState, "completed_at")


def evolve(state: HandoverState, event: Event) -> HandoverState:
    match event.type:
        case "HandoverInitiated":
            return HandoverState(initiated_at=event.occurred_at)
        case "HandoverAcknowledged" | "HandoverDeclined":
            return _responded(state, _RESPONSES[event.type], event.occurred_at)
        case "HandoverCompleted":
            return _completed(state, event.occurred_at)
    return state


def check(state: HandoverState, event: Event, tz: ZoneInfo) -> str | None:
    if event.type == "HandoverInitiated":
        if state.initiated_at is not None:
            return f"{named_subject(event)} was already initiated (at {when(state.initiated_at)}); use a new id"
        return None
    if state.response == "declined" and state.responded_at is not None:
        return (
            f"{named_subject(event)} was declined at {when(state.responded_at)}; it takes no further events: "
            "initiate a new handover instead"
        )
    if event.type in _RESPONSES and state.response is not None and state.responded_at is not None:
        return (
            f"{named_subject(event)} was already {state.response} (at {when(state.responded_at)})"
        )
    if event.type == "HandoverCompleted":
        if state.completed_at is not None:
            return f"{named_subject(event)} was already completed (at {when(state.completed_at)})"
        if state.response != "acknowledged" or state.responded_at is None:
            return f"{named_subject(event)} has not been acknowledged: record HandoverAcknowledged first"
        if event.occurred_at < state.responded_at:
            return (
                f"HandoverCompleted occurs at {when(event.occurred_at)}, before {named_subject(event)} was "
                f"acknowledged ({when(state.responded_at)}); check the time"
            )
    return None


def check_links(state: HandoverState, event: Event, ctx: Context) -> str | None:
    data = event.data
    if not isinstance(data, HandoverInitiated):
        return None
    return first_problem(
        missing_patient(ctx, data.patient_id),
        missing_site(ctx, data.from_site, "from_site"),
        missing_site(ctx, data.to_site, "to_site"),
    )


RULES: StreamRules[HandoverState] = StreamRules(
    kind="handover",
    opener="HandoverInitiated",
    missing="has not been initiated",
    initial=HandoverState(),
    evolve=evolve,
    check=check,
    check_links=check_links,
)
