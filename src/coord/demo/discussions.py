"""A case's discussion and what follows it: actions agreed and completed, the outcome
communicated, treatment started and the handover back to the local centre.
"""

from __future__ import annotations

from datetime import timedelta

from coord.demo.engine import Emit, Process
from coord.demo.handovers import handover
from coord.demo.network import Pathway, Site
from coord.demo.world import DAY, HOUR, MINUTE, Meeting, World
from coord.events.types import (
    ActionAgreed,
    ActionCompleted,
    CaseDiscussed,
    OutcomeCommunicated,
    TreatmentStarted,
)

_ACTIONS = (
    ("book surgical pre-assessment", "host"),
    ("request further imaging", "presenting"),
    ("refer to oncology clinic", "presenting"),
    ("arrange dietitian review", "host"),
    ("confirm patient's fitness with the GP", "presenting"),
    ("book clinic to discuss the plan with the patient", "host"),
)


def discussion(
    world: World,
    pathway: Pathway,
    site: Site,
    patient_id: str,
    case_id: str,
    referral_id: str | None,
    meeting: Meeting,
    discussed_at: int,
) -> Process:
    """The discussion and what follows it."""
    host = pathway.host
    coordinator = world.actor(host, "mdt_coordinator")
    outcome = world.rng.choices(pathway.outcomes, [o.weight for o in pathway.outcomes])[0]
    typed_up = (
        world.between(16 * HOUR, 30 * HOUR) if world.chance(0.08) else world.between(MINUTE, HOUR)
    )
    yield Emit(
        discussed_at,
        CaseDiscussed(case_id=case_id, meeting_id=meeting.meeting_id, outcome=outcome.outcome),
        coordinator,
        typed_up,
    )
    for n in range(world.rng.choices((0, 1, 2), (3, 4, 2))[0]):
        description, owner = world.rng.choice(_ACTIONS)
        world.spawn(
            action(
                world,
                case_id,
                f"A{n + 1}",
                host if owner == "host" else site.id,
                description,
                discussed_at + MINUTE,
            )
        )
    communicated = world.working(
        discussed_at + world.hours(20 * (1 + 2 * world.teething(discussed_at)), 0.8)
    )
    world.spawn(communicate(world, case_id, site.id, communicated, host))
    b = world.net.behaviour
    low, mode, high = b.treatment_days
    treated = world.working(discussed_at + int(world.rng.triangular(low, high, mode) * DAY))
    if referral_id is not None and outcome.modality:
        yield Emit(
            treated,
            TreatmentStarted(referral_id=referral_id, modality=outcome.modality),
            world.actor(host, "mdt_coordinator"),
            world.lag(),
        )
    if outcome.handover and site.id != host:
        surgical = outcome.modality == "surgery"
        initiated = (
            world.working(treated + world.between(3 * DAY, 10 * DAY))
            if surgical
            else world.working(discussed_at + world.between(HOUR, 3 * DAY))
        )
        yield from handover(world, pathway, site, patient_id, outcome, initiated)


def action(
    world: World, case_id: str, action_id: str, owner: str, description: str, agreed: int
) -> Process:
    coordinator = world.actor(world.sites[owner].id, "mdt_coordinator")
    due = world.local(agreed).date() + timedelta(days=14)
    yield Emit(
        agreed,
        ActionAgreed(
            case_id=case_id,
            action_id=action_id,
            owner_site=owner,
            description=description,
            due=due,
        ),
        coordinator,
        world.between(MINUTE, HOUR),
    )
    if world.chance(0.85):
        done = world.working(agreed + world.hours(5 * 24, 0.9))
        yield Emit(
            done, ActionCompleted(case_id=case_id, action_id=action_id), coordinator, world.lag()
        )


def communicate(world: World, case_id: str, to_site: str, at: int, host: str) -> Process:
    yield Emit(
        at,
        OutcomeCommunicated(case_id=case_id, to_site=to_site),
        world.actor(host, "mdt_coordinator"),
        world.lag(),
    )
