"""Validity of ``EventRetracted`` (SPEC §3 "Corrections").

A retraction belongs to its target's stream. It is valid when the target exists, is not
a retraction and is not already retracted; the stream replayed without the target still
obeys its own rules; a stream left empty is referenced by no non-retracted event
elsewhere; a protocol version is not in force for a listed case; and the retraction does
not occur before its target, nor before the event that opens the target's stream.
"""

from __future__ import annotations

from coord.domain.log import StoredRef
from coord.domain.protocol import ProtocolState, protocol_in_force
from coord.domain.rules import rules_for
from coord.domain.streams import Context, StreamView, replay, when
from coord.events import Event
from coord.events.types import EventRetracted


def target_id(event: Event) -> str:
    """The id of the event a retraction targets."""
    data = event.data
    return data.event_id if isinstance(data, EventRetracted) else ""


def check_retraction(
    event: Event, target: StoredRef | None, view: StreamView, ctx: Context
) -> str | None:
    """Why the retraction ``event`` is invalid, or None; ``view`` is the target's stream."""
    wanted = target_id(event)
    if target is None:
        return f"event {wanted} is not in the log; check the id of the event to retract"
    aimed = target.event
    if aimed.type == "EventRetracted":
        return (
            f"event {wanted} is itself a retraction, which cannot be retracted; "
            "record the retracted fact again instead"
        )
    if wanted in view.retracted:
        return f"{aimed.type} {wanted} is already retracted"
    if event.occurred_at < aimed.occurred_at:
        return (
            f"the retraction occurs at {when(event.occurred_at)}, before the {aimed.type} it "
            f"retracts ({when(aimed.occurred_at)}); check the time"
        )
    rules = rules_for(view.stream)
    opener = view.opener
    if not rules.independent and opener is not None and event.occurred_at < opener.occurred_at:
        return (
            f"the retraction occurs at {when(event.occurred_at)}, before {view.stream} was "
            f"opened by {opener.type} ({when(opener.occurred_at)}); check the time"
        )
    remaining = [e for e in view.live if e.event_id != wanted]
    if opener is not None and opener.event_id == wanted and remaining and not rules.independent:
        return (
            f"{aimed.type} {wanted} opens {view.stream}, which still has "
            f"{len(remaining)} other event(s); retract those first"
        )
    problem = replay(rules, remaining, ctx.tz)
    if problem is not None:
        return (
            f"retracting {aimed.type} {wanted} would leave {view.stream} invalid: {problem}; "
            "retract the later events that depend on it first"
        )
    if not remaining:
        users = [r for r in ctx.referrers(view.stream) if r.stream != view.stream]
        if users:
            names = ", ".join(sorted({r.stream for r in users})[:3])
            return (
                f"{view.stream} is still referenced by {len(users)} event(s) of {names}; "
                "retract those first"
            )
    if aimed.type == "ProtocolPublished":
        return _protocol_in_force_problem(aimed, view, ctx)
    return None


def _protocol_in_force_problem(aimed: Event, view: StreamView, ctx: Context) -> str | None:
    state = view.state
    versions = state.versions if isinstance(state, ProtocolState) else ()
    pathway = view.subject
    for listing in ctx.referrers(f"listing:{pathway}"):
        in_force = protocol_in_force(versions, listing.at)
        if in_force is not None and in_force.event_id == aimed.event_id:
            case_id = listing.stream.partition(":")[2]
            return (
                f"protocol {pathway} v{in_force.version} is in force for case {case_id} "
                f"(listed at {when(listing.at)}); it cannot be retracted while that case's "
                "listing stands"
            )
    return None
