"""SMDT cases: listed for the next meeting whose list is open, the required items delivered
(received, waived or transferred), deferred and relisted until discussed.
"""

from __future__ import annotations

from dataclasses import dataclass

from coord.demo.discussions import discussion
from coord.demo.engine import Emit, Process, Sleep
from coord.demo.network import Pathway, Site
from coord.demo.transfers import METHOD_NAMES, TransferPlan, transfer
from coord.demo.world import DAY, HOUR, MINUTE, Meeting, World
from coord.events.types import (
    CaseDeferred,
    CaseListed,
    CaseRelisted,
    DeferralReason,
    EventRetracted,
    ItemReceived,
    ItemWaived,
)

#: A case is listed at most this many times; the last listing is always discussed.
MAX_LISTINGS = 3
#: The share of cases a coordinator books for the meeting after the next one (a staging
#: result or the patient's clinic is due after the next cutoff), so the lists of the
#: coming fortnight fill up ahead of time.
LISTED_AHEAD = 0.3


@dataclass(eq=False, slots=True)
class Delivery:
    """When a case's item became available (None: not yet, as far as is planned)."""

    item: str
    arrival: int | None


def case(
    world: World,
    pathway: Pathway,
    site: Site,
    patient_id: str,
    referral_id: str | None,
    arrival: int,
    ready: int,
) -> Process:
    b = world.net.behaviour
    host = pathway.host
    coordinator = world.actor(host, "mdt_coordinator")
    listed_at = world.working(ready + world.between(HOUR, DAY))
    yield Sleep(listed_at)
    meeting = meeting_for_listing(world, pathway, listed_at)
    while meeting is None:  # only before the first meetings are scheduled
        listed_at = world.working(listed_at + DAY)
        yield Sleep(listed_at)
        meeting = meeting_for_listing(world, pathway, listed_at)
    if meeting.cutoff >= listed_at and world.chance(LISTED_AHEAD):
        meeting = world.meeting_after(meeting) or meeting
    case_id = world.next_id("C")
    required = world.required_items(pathway.name, listed_at)
    yield Emit(
        listed_at,
        CaseListed(
            case_id=case_id,
            patient_id=patient_id,
            meeting_id=meeting.meeting_id,
            pathway=pathway.name,
            presenting_site=site.id,
            referral_id=referral_id,
        ),
        coordinator,
        world.between(MINUTE, 30 * MINUTE),
    )
    meeting.presenting[site.id] = meeting.presenting.get(site.id, 0) + 1
    deliveries = [
        deliver(
            world, case_id, patient_id, pathway, site, item, arrival, listed_at, meeting, first=True
        )
        for item in required
    ]
    listings = 1
    while True:
        discussed_at = meeting.scheduled_for + world.between(
            5 * MINUTE, (pathway.duration_minutes - 10) * MINUTE
        )
        missing = [d for d in deliveries if d.arrival is None or d.arrival > discussed_at]
        reason: DeferralReason | None = None
        deferred_at = discussed_at
        last = listings >= MAX_LISTINGS
        if missing and not last and world.chance(b.defer_when_missing):
            reason = "missing_information"
            at_cutoff = all(d.arrival is None or d.arrival > meeting.cutoff for d in missing)
            if listed_at < meeting.cutoff and at_cutoff and world.chance(b.triage_share):
                deferred_at = meeting.cutoff + world.between(30 * MINUTE, 4 * HOUR)
        elif not last and world.chance(b.defer_clinician_unavailable):
            reason = "clinician_unavailable"
        elif not last and world.chance(b.defer_time):
            reason = "time"
        elif not last and meeting.technical_issues and world.chance(b.defer_technical):
            reason = "technical"
        if reason is None:
            break
        yield Emit(
            deferred_at,
            CaseDeferred(case_id=case_id, meeting_id=meeting.meeting_id, reason=reason),
            coordinator,
            world.between(MINUTE, 40 * MINUTE),
        )
        relisted_at = world.working(deferred_at + world.between(HOUR, DAY))
        yield Sleep(relisted_at)
        following = world.next_meeting(
            pathway.name, max(relisted_at + DAY, meeting.scheduled_for + HOUR)
        )
        if following is None:
            return  # the period ends before another meeting
        meeting = following
        yield Emit(
            relisted_at,
            CaseRelisted(case_id=case_id, meeting_id=meeting.meeting_id),
            coordinator,
            world.between(MINUTE, 30 * MINUTE),
        )
        meeting.presenting[site.id] = meeting.presenting.get(site.id, 0) + 1
        listings += 1
        listed_at = relisted_at
        if reason == "missing_information":
            for i, d in enumerate(deliveries):
                if d.arrival is None:  # lost: requested again
                    deliveries[i] = deliver(
                        world,
                        case_id,
                        patient_id,
                        pathway,
                        site,
                        d.item,
                        arrival,
                        relisted_at,
                        meeting,
                        first=False,
                    )
    yield from discussion(
        world, pathway, site, patient_id, case_id, referral_id, meeting, discussed_at
    )


def meeting_for_listing(world: World, pathway: Pathway, at: int) -> Meeting | None:
    """The next meeting whose list is still open; a quarter of the cases that missed
    a cutoff are added late to that meeting's list all the same."""
    meeting = world.next_meeting(pathway.name, at)
    if meeting is not None and meeting.cutoff < at and not world.chance(0.25):
        meeting = world.next_meeting(pathway.name, at, cutoff_by=at)
    return meeting


def deliver(
    world: World,
    case_id: str,
    patient_id: str,
    pathway: Pathway,
    site: Site,
    item: str,
    arrival: int,
    listed_at: int,
    meeting: Meeting,
    *,
    first: bool,
) -> Delivery:
    """Plan how an item reaches the centre for a listing and start that lifecycle."""
    b = world.net.behaviour
    host = pathway.host
    internal = site.id == host
    late_p = site.late_items * world.teething(listed_at) * (0.4 if internal else 1.0)
    late_p = min(0.95, late_p + b.items_floor) * (1.0 if first else 0.5)
    late = world.chance(late_p)
    deadline = meeting.scheduled_for - world.between(30 * MINUTE, 3 * HOUR)
    if first and item in pathway.waivable and world.chance(0.06):
        waived_at = world.working(listed_at + world.between(HOUR, DAY))
        world.spawn(waive(world, case_id, item, waived_at, host))
        return Delivery(item, waived_at)
    kind = world.item_kinds[item]
    if internal or kind == "result":
        if late:
            when = world.working(meeting.scheduled_for + world.hours(60, 0.8))
        elif first and world.chance(0.7):
            when = arrival + world.between(HOUR, 4 * HOUR)  # came with the referral
        else:
            when = world.between(listed_at, max(listed_at + 1, deadline))
        world.spawn(receive_item(world, case_id, item, when, host))
        return Delivery(item, when)
    methods = site.image_methods if kind == "images" else site.report_methods
    method = METHOD_NAMES[world.pick(methods)]
    requested = listed_at + world.between(10 * MINUTE, 4 * HOUR)
    plan = TransferPlan(item, method, requested)
    if late:
        if world.chance(0.15):
            plan.lost = True
        else:
            plan.received = max(
                requested + HOUR, world.working(meeting.scheduled_for + world.hours(50, 0.9))
            )
    else:
        turnaround = world.hours(
            world.net.method(method).median_hours, world.net.method(method).spread
        )
        plan.received = max(requested + 5 * MINUTE, min(requested + turnaround, deadline))
    fail = world.net.method(method).fail * (1 / 3 + 2 / 3 * world.teething(requested))
    if not plan.lost and plan.received is not None and world.chance(fail):
        plan.failed_at = requested + (plan.received - requested) // 3
    world.spawn(transfer(world, case_id, patient_id, site.id, host, plan))
    return Delivery(item, None if plan.lost else plan.received)


def waive(world: World, case_id: str, item: str, at: int, host: str) -> Process:
    yield Emit(
        at,
        ItemWaived(case_id=case_id, item=item, reason="not clinically indicated"),
        world.actor(host, "consultant"),
        world.lag(),
    )


def receive_item(world: World, case_id: str, item: str, at: int, host: str) -> Process:
    """ItemReceived when it arrives; now and then first recorded against the wrong
    item, retracted and recorded again."""
    coordinator = world.actor(host, "mdt_coordinator")
    yield Sleep(at)
    if world.chance(world.net.behaviour.wrong_item):
        wrong = world.rng.choice([i for i in world.all_items if i != item])
        target = yield Emit(at, ItemReceived(case_id=case_id, item=wrong), coordinator, world.lag())
        assert target is not None
        noticed = world.now + world.between(30 * MINUTE, 2 * DAY)
        yield Emit(
            noticed,
            EventRetracted(
                event_id=target, reason=f"recorded against the wrong item ({wrong} for {item})"
            ),
            coordinator,
            world.between(MINUTE, 10 * MINUTE),
        )
        # the right fact, as it occurred: logged late
        yield Emit(at, ItemReceived(case_id=case_id, item=item), coordinator, 0)
        return
    yield Emit(at, ItemReceived(case_id=case_id, item=item), coordinator, world.lag())
