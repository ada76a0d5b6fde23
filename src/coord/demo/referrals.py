"""New patients: registered at their local site, referred to the specialist centre (received,
accepted or rejected), then their case.
"""

from __future__ import annotations

from datetime import time, timedelta

from coord.demo.cases import case
from coord.demo.engine import Emit, Process, Sleep
from coord.demo.network import Pathway, Site
from coord.demo.world import DAY, HOUR, MINUTE, World
from coord.events.types import (
    PatientRegistered,
    ReferralAccepted,
    ReferralMade,
    ReferralReceived,
    ReferralRejected,
)

_REJECTIONS = (
    "does not meet the criteria for specialist surgery; manage locally",
    "duplicate referral",
)


def referrals(world: World, pathway: Pathway) -> Process:
    """New patients for a pathway, every working day, in proportion to population."""
    per_day = pathway.cases_per_100k * world.net.population / 100_000 * world.scale / 252
    day = world.local(world.start).date()
    while True:
        if day.weekday() < 5:
            opens = world.at(day, time(9, 0))
            if opens > world.end:
                return
            yield Sleep(opens)
            arrivals = sorted(
                opens + world.between(0, 8 * HOUR) for _ in range(world.poisson(per_day))
            )
            for arrival in arrivals:
                site = world.rng.choices(world.catchment, world.catchment_weights)[0]
                world.spawn(patient(world, pathway, site, arrival))
        day += timedelta(days=1)


def patient(world: World, pathway: Pathway, site: Site, arrival: int) -> Process:
    """Registration, referral to the specialist centre (unless the patient is its own),
    SMDT listings until discussed, then outcome, actions, treatment and handover."""
    b = world.net.behaviour
    yield Sleep(arrival)
    clerk = world.actor(site.id, "admin_clerk")
    patient_id = world.next_id("P")
    nhs = world.nhs_number() if not world.chance(0.01) else None
    yield Emit(
        arrival, PatientRegistered(patient_id=patient_id, nhs_number=nhs), clerk, world.lag()
    )
    host = pathway.host
    referral_id: str | None = None
    ready = arrival + world.between(10 * MINUTE, 2 * HOUR)
    if site.id != host:
        referral_id = world.next_id("R")
        routine = world.chance(b.routine)
        low, mode, high = b.referral_preparation_days
        days = world.rng.triangular(low, high, mode) * (1.6 if routine else 1.0)
        clock_start = world.local(ready).date() - timedelta(days=int(days))
        yield Emit(
            ready,
            ReferralMade(
                referral_id=referral_id,
                patient_id=patient_id,
                pathway=pathway.name,
                from_site=site.id,
                to_site=host,
                priority="routine" if routine else "urgent",
                clock_start=clock_start,
            ),
            world.actor(site.id, "mdt_coordinator"),
            world.lag(),
        )
        tail = b.receipt_tail * (0.3 + world.teething(ready))
        median = b.receipt_tail_days if world.chance(tail) else b.receipt_days
        received = world.working(ready + world.hours(median * 24, 0.6))
        centre = world.actor(host, "mdt_coordinator")
        yield Emit(received, ReferralReceived(referral_id=referral_id), centre, world.lag())
        decided = world.working(received + world.between(2 * HOUR, 2 * DAY))
        if world.chance(b.rejected):
            yield Emit(
                decided,
                ReferralRejected(referral_id=referral_id, reason=world.rng.choice(_REJECTIONS)),
                world.actor(host, "consultant"),
                world.lag(),
            )
            return
        yield Emit(
            decided,
            ReferralAccepted(referral_id=referral_id),
            world.actor(host, "consultant"),
            world.lag(),
        )
        ready = decided
    yield from case(world, pathway, site, patient_id, referral_id, arrival, ready)
