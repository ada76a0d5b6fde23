"""Stream ``referral:<referral_id>``: made → received → accepted | rejected → treatment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.domain.streams import (
    Context,
    StreamRules,
    different_sites,
    first_problem,
    local_date,
    missing_patient,
    missing_site,
    named_subject,
    when,
)
from coord.events import Event
from coord.events.records import replacer
from coord.events.types import ReferralMade


@dataclass(frozen=True, slots=True)
class ReferralState:
    made_at: datetime | None = None
    patient_id: str | None = None
    pathway: str | None = None
    received_at: datetime | None = None
    #: "accepted" or "rejected"
    decision: str | None = None
    decided_at: datetime | None = None
    treated_at: datetime | None = None


#: a state with these fields replaced, made quickly (see transfer's)
_received = replacer(ReferralState, "received_at")
_decided = replacer(ReferralState, "decision", "decided_at")
_treated = replacer(ReferralState, "treated_at")


def evolve(state: ReferralState, event: Event) -> ReferralState:
    data = event.data
    if isinstance(data, ReferralMade):
        return ReferralState(
            made_at=event.occurred_at, patient_id=data.patient_id, pathway=data.pathway
        )
    match event.type:
        case "ReferralReceived":
            return _received(state, event.occurred_at)
        case "ReferralAccepted" | "ReferralRejected":
            decision = "accepted" if event.type == "ReferralAccepted" else "rejected"
            return _decided(state, decision, event.occurred_at)
        case "TreatmentStarted":
            return _treated(state, event.occurred_at)
    return state


def check(state: ReferralState, event: Event, tz: ZoneInfo) -> str | None:
    match event.type:
        case "ReferralMade":
            if state.made_at is not None:
                return f"{named_subject(event)} was already made (at {when(state.made_at)}); use a new referral id"
            return different_sites("referral", event)
        case "ReferralReceived":
            if state.received_at is not None:
                return f"{named_subject(event)} was already received (at {when(state.received_at)})"
        case "ReferralAccepted" | "ReferralRejected":
            if state.decision is not None and state.decided_at is not None:
                return (
                    f"{named_subject(event)} was already {state.decision} (at {when(state.decided_at)}); "
                    "retract that decision first to change it"
                )
            if state.received_at is None:
                return (
                    f"{named_subject(event)} has not been received: record ReferralReceived first"
                )
            if event.occurred_at < state.received_at:
                return (
                    f"{event.type} occurs at {when(event.occurred_at)}, before {named_subject(event)} was received "
                    f"({when(state.received_at)}); check the time"
                )
        case "TreatmentStarted":
            if state.treated_at is not None:
                return f"treatment for {named_subject(event)} already started (at {when(state.treated_at)})"
            if state.decision != "accepted" or state.decided_at is None:
                return f"{named_subject(event)} has not been accepted: record ReferralAccepted before treatment"
            if event.occurred_at < state.decided_at:
                return (
                    f"TreatmentStarted occurs at {when(event.occurred_at)}, before {named_subject(event)} was "
                    f"accepted ({when(state.decided_at)}); check the time"
                )
    return None


def check_links(state: ReferralState, event: Event, ctx: Context) -> str | None:
    data = event.data
    if not isinstance(data, ReferralMade):
        return None
    clock_start = data.clock_start
    made_on = local_date(event.occurred_at, ctx.tz)
    if clock_start > made_on:
        return (
            f"referral {event.subject}: clock_start {clock_start.isoformat()} is after the date "
            f"the referral was made ({made_on.isoformat()}); the clock cannot start later"
        )
    return first_problem(
        missing_patient(ctx, data.patient_id),
        missing_site(ctx, data.from_site, "from_site"),
        missing_site(ctx, data.to_site, "to_site"),
    )


RULES: StreamRules[ReferralState] = StreamRules(
    kind="referral",
    opener="ReferralMade",
    missing="has not been made",
    initial=ReferralState(),
    evolve=evolve,
    check=check,
    check_links=check_links,
)
