"""Handovers back to the local centre after a discussion: acknowledged, completed, now and
then declined and sent to another team.
"""

from __future__ import annotations

from coord.demo.engine import Emit, Process
from coord.demo.network import Outcome, Pathway, Site
from coord.demo.world import DAY, HOUR, World
from coord.events.types import (
    HandoverAcknowledged,
    HandoverCompleted,
    HandoverDeclined,
    HandoverInitiated,
)


def handover(
    world: World, pathway: Pathway, site: Site, patient_id: str, outcome: Outcome, initiated: int
) -> Process:
    """Back to the local centre for follow-up: acknowledged (slowly at some sites),
    now and then declined and sent again to another team there."""
    b = world.net.behaviour
    host = pathway.host
    local_team = (
        "local upper GI team" if pathway.name == "oesophago-gastric" else "local urology team"
    )
    follow_up = outcome.modality in ("surgery", "active monitoring")
    to_role = local_team if follow_up else "local oncology team"
    for attempt in range(2):
        handover_id = world.next_id("H")
        yield Emit(
            initiated,
            HandoverInitiated(
                handover_id=handover_id,
                patient_id=patient_id,
                from_site=host,
                to_site=site.id,
                from_role=f"{pathway.name} specialist team",
                to_role=to_role,
                reason=f"follow-up after {outcome.outcome}",
            ),
            world.actor(host, "cns"),
            world.lag(),
        )
        teething = world.teething(initiated)
        local = world.actor(site.id, "cns")
        responded = world.working(
            initiated + world.hours(site.handover_ack_hours * (1 + teething), 0.9)
        )
        if attempt == 0 and world.chance(b.handover_declined * (1 + teething)):
            yield Emit(
                responded,
                HandoverDeclined(
                    handover_id=handover_id, reason="not the responsible team for this patient"
                ),
                local,
                world.lag(),
            )
            if not world.chance(0.7):
                return
            to_role = (
                "local oncology team" if to_role != "local oncology team" else "local CNS team"
            )
            initiated = world.working(responded + world.between(2 * HOUR, 2 * DAY))
            continue
        yield Emit(responded, HandoverAcknowledged(handover_id=handover_id), local, world.lag())
        if world.chance(0.9):
            completed = world.working(responded + world.between(DAY, 14 * DAY))
            yield Emit(completed, HandoverCompleted(handover_id=handover_id), local, world.lag())
        return
