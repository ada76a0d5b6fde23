"""Stream ``case:<case_id>``: SMDT case listings, items, deferrals, discussions, actions.

The *current listing* is the latest ``CaseListed`` or ``CaseRelisted``; a deferral or a
discussion ends it (at most once) and must name its meeting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.domain import meeting as meeting_rules
from coord.domain import protocol as protocol_rules
from coord.domain import referral as referral_rules
from coord.domain.streams import (
    Context,
    StreamRules,
    first_problem,
    local_date,
    missing_patient,
    missing_site,
    named_subject,
    when,
)
from coord.events import Event
from coord.events.records import replacer
from coord.events.types import (
    ActionAgreed,
    ActionCompleted,
    CaseDeferred,
    CaseDiscussed,
    CaseListed,
    CaseRelisted,
    OutcomeCommunicated,
)

_ENDINGS = {"CaseDeferred": "deferred", "CaseDiscussed": "discussed"}


@dataclass(frozen=True, slots=True)
class Listing:
    meeting_id: str
    at: datetime
    #: "deferred" or "discussed" once the listing has ended
    ended: str | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Action:
    action_id: str
    agreed_at: datetime
    completed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CaseState:
    listed_at: datetime | None = None
    patient_id: str | None = None
    pathway: str | None = None
    presenting_site: str | None = None
    referral_id: str | None = None
    listings: tuple[Listing, ...] = ()
    first_discussed_at: datetime | None = None
    actions: tuple[Action, ...] = ()

    @property
    def current(self) -> Listing | None:
        return self.listings[-1] if self.listings else None

    def action(self, action_id: str) -> Action | None:
        return next((a for a in self.actions if a.action_id == action_id), None)


#: a state with these fields replaced, made quickly (see transfer's)
_relisted = replacer(CaseState, "listings")
_ended = replacer(CaseState, "listings", "first_discussed_at")
_acted = replacer(CaseState, "actions")


def evolve(state: CaseState, event: Event) -> CaseState:
    data = event.data
    at = event.occurred_at
    match data:
        case CaseListed():
            return CaseState(
                listed_at=at,
                patient_id=data.patient_id,
                pathway=data.pathway,
                presenting_site=data.presenting_site,
                referral_id=data.referral_id,
                listings=(Listing(data.meeting_id, at),),
            )
        case CaseRelisted():
            return _relisted(state, (*state.listings, Listing(data.meeting_id, at)))
        case CaseDeferred() | CaseDiscussed() if state.listings:
            current = state.listings[-1]
            ended = Listing(current.meeting_id, current.at, _ENDINGS[event.type], at)
            first_discussed_at = state.first_discussed_at
            if first_discussed_at is None and event.type == "CaseDiscussed":
                first_discussed_at = at
            return _ended(state, (*state.listings[:-1], ended), first_discussed_at)
        case ActionAgreed():
            return _acted(state, (*state.actions, Action(data.action_id, at)))
        case ActionCompleted():
            action_id = data.action_id
            actions = tuple(
                Action(action_id, a.agreed_at, at) if a.action_id == action_id else a
                for a in state.actions
            )
            return _acted(state, actions)
    return state


def _check_ending(state: CaseState, event: Event, data: CaseDeferred | CaseDiscussed) -> str | None:
    current = state.current
    if current is None:
        return f"{named_subject(event)} is not listed for a meeting: list it before recording a deferral or discussion"
    what = _ENDINGS[event.type]
    named = data.meeting_id
    if current.ended is not None and current.ended_at is not None:
        return (
            f"{named_subject(event)}'s listing for meeting {current.meeting_id} already ended: it was "
            f"{current.ended} at {when(current.ended_at)}; relist the case (CaseRelisted) "
            f"before it can be {what} again"
        )
    if named != current.meeting_id:
        noun = "deferral" if event.type == "CaseDeferred" else "discussion"
        return (
            f"{named_subject(event)} is listed for meeting {current.meeting_id}, not {named}; record the "
            f"{noun} against {current.meeting_id}, or relist the case for {named}"
        )
    if event.occurred_at < current.at:
        return (
            f"{event.type} occurs at {when(event.occurred_at)}, before {named_subject(event)} was listed for "
            f"meeting {current.meeting_id} ({when(current.at)}); check the time"
        )
    return None


def _check_relisting(state: CaseState, event: Event, data: CaseRelisted) -> str | None:
    current = state.current
    named = data.meeting_id
    if current is None:
        return f"{named_subject(event)} is not listed: record CaseListed first"
    if current.ended is None or current.ended_at is None:
        return (
            f"{named_subject(event)} is still listed for meeting {current.meeting_id}: record a deferral or a "
            "discussion there before relisting it"
        )
    if event.occurred_at < current.ended_at:
        return (
            f"CaseRelisted occurs at {when(event.occurred_at)}, before {named_subject(event)} was "
            f"{current.ended} at meeting {current.meeting_id} ({when(current.ended_at)}); "
            "check the time"
        )
    if any(listing.meeting_id == named for listing in state.listings):
        return f"{named_subject(event)} was already listed for meeting {named}; relist it for another meeting"
    return None


def check(state: CaseState, event: Event, tz: ZoneInfo) -> str | None:
    data = event.data
    match data:
        case CaseListed():
            if state.listed_at is not None:
                return (
                    f"{named_subject(event)} is already listed (at {when(state.listed_at)}); to list it for "
                    "another meeting after a deferral or discussion, record CaseRelisted"
                )
        case CaseDeferred() | CaseDiscussed():
            return _check_ending(state, event, data)
        case CaseRelisted():
            return _check_relisting(state, event, data)
        case ActionAgreed():
            action_id = data.action_id
            if state.action(action_id) is not None:
                return (
                    f"{named_subject(event)} already has an action {action_id}; use a new action id"
                )
        case ActionCompleted():
            action_id = data.action_id
            action = state.action(action_id)
            if action is None:
                return f"{named_subject(event)} has no agreed action {action_id}: record ActionAgreed first"
            if action.completed_at is not None:
                return f"action {action_id} of {named_subject(event)} was already completed ({when(action.completed_at)})"
            if event.occurred_at < action.agreed_at:
                return (
                    f"ActionCompleted occurs at {when(event.occurred_at)}, before action "
                    f"{action_id} was agreed ({when(action.agreed_at)}); check the time"
                )
        case OutcomeCommunicated():
            if state.first_discussed_at is None:
                return f"{named_subject(event)} has not been discussed: record the discussion before its outcome"
            if event.occurred_at < state.first_discussed_at:
                return (
                    f"OutcomeCommunicated occurs at {when(event.occurred_at)}, before {named_subject(event)} was "
                    f"first discussed ({when(state.first_discussed_at)}); check the time"
                )
    return None


def _meeting(ctx: Context, meeting_id: str) -> meeting_rules.MeetingState | None:
    view = ctx.view(f"meeting:{meeting_id}")
    state = view.state
    return state if view.exists and isinstance(state, meeting_rules.MeetingState) else None


def _check_listed(event: Event, data: CaseListed, ctx: Context) -> str | None:
    pathway, meeting_id = data.pathway, data.meeting_id
    problem = first_problem(
        missing_patient(ctx, data.patient_id),
        missing_site(ctx, data.presenting_site, "presenting_site"),
    )
    if problem is not None:
        return problem
    meeting = _meeting(ctx, meeting_id)
    if meeting is None or meeting.scheduled_for is None:
        return f"meeting {meeting_id} is not scheduled; record MeetingScheduled first"
    if meeting.pathway != pathway:
        return f"meeting {meeting_id} is for pathway {meeting.pathway}, not {pathway}"
    if event.occurred_at > meeting.scheduled_for:
        return (
            f"{named_subject(event)} is listed at {when(event.occurred_at)}, after meeting {meeting_id} "
            f"({when(meeting.scheduled_for)}); list it for a later meeting"
        )
    referral_id = data.referral_id
    if referral_id is not None:
        view = ctx.view(f"referral:{referral_id}")
        referral = view.state
        if not view.exists or not isinstance(referral, referral_rules.ReferralState):
            return f"referral {referral_id} has not been made; record ReferralMade first"
        if referral.patient_id != data.patient_id:
            return f"referral {referral_id} is for patient {referral.patient_id}, not this case's patient"
        if referral.pathway != pathway:
            return f"referral {referral_id} is for pathway {referral.pathway}, not {pathway}"
    versions = ctx.view(f"protocol:{pathway}").state
    live = versions.versions if isinstance(versions, protocol_rules.ProtocolState) else ()
    if protocol_rules.protocol_in_force(live, event.occurred_at) is None:
        return (
            f"no protocol for pathway {pathway} is in force at {when(event.occurred_at)}; "
            "publish one (ProtocolPublished) before listing cases"
        )
    return None


def check_links(state: CaseState, event: Event, ctx: Context) -> str | None:
    data = event.data
    match data:
        case CaseListed():
            return _check_listed(event, data, ctx)
        case CaseDeferred() | CaseDiscussed():
            meeting_id = data.meeting_id
            meeting = _meeting(ctx, meeting_id)
            if meeting is None:
                return f"meeting {meeting_id} is not scheduled; record MeetingScheduled first"
            day = meeting_rules.meeting_date(meeting, ctx.tz)
            on = local_date(event.occurred_at, ctx.tz)
            if day is None:
                return None
            if event.type == "CaseDiscussed" and on != day:
                return (
                    f"the discussion at {when(event.occurred_at)} is not on the day of meeting "
                    f"{meeting_id} ({day.isoformat()}, local time); check the time or the meeting"
                )
            if event.type == "CaseDeferred" and on > day:
                return (
                    f"the deferral at {when(event.occurred_at)} is after the day of meeting "
                    f"{meeting_id} ({day.isoformat()}, local time); defer on or before that day"
                )
        case CaseRelisted():
            meeting_id = data.meeting_id
            meeting = _meeting(ctx, meeting_id)
            if meeting is None or meeting.scheduled_for is None:
                return f"meeting {meeting_id} is not scheduled; record MeetingScheduled first"
            if meeting.pathway != state.pathway:
                return f"meeting {meeting_id} is for pathway {meeting.pathway}, not {state.pathway}"
            if meeting.scheduled_for <= event.occurred_at:
                return (
                    f"meeting {meeting_id} ({when(meeting.scheduled_for)}) is not after the "
                    f"relisting ({when(event.occurred_at)}); relist the case for a later meeting"
                )
        case ActionAgreed():
            return missing_site(ctx, data.owner_site, "owner_site")
        case OutcomeCommunicated():
            return missing_site(ctx, data.to_site, "to_site")
    return None


RULES: StreamRules[CaseState] = StreamRules(
    kind="case",
    opener="CaseListed",
    missing="is not listed",
    initial=CaseState(),
    evolve=evolve,
    check=check,
    check_links=check_links,
)
