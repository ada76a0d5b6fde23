"""Transfers of images and reports to the specialist centre: requested, sent, chased while
overdue, received, or failed and requested again.
"""

from __future__ import annotations

from dataclasses import dataclass

from coord.demo.engine import Emit, Process
from coord.demo.world import DAY, HOUR, MINUTE, World
from coord.events.types import (
    EventRetracted,
    TransferChased,
    TransferFailed,
    TransferMethod,
    TransferReceived,
    TransferRequested,
    TransferSent,
)

_FAILURES = {
    "pacs": "PACS link unavailable",
    "iep": "image exchange request rejected: patient details did not match",
    "email": "secure email bounced: mailbox not recognised",
    "portal": "portal upload failed",
    "courier": "courier package lost in transit",
}
METHOD_NAMES: dict[str, TransferMethod] = {
    "pacs": "pacs",
    "iep": "iep",
    "email": "email",
    "portal": "portal",
    "courier": "courier",
}


@dataclass(eq=False, slots=True)
class TransferPlan:
    item: str
    method: TransferMethod
    requested: int
    received: int | None = None
    failed_at: int | None = None
    lost: bool = False


def transfer(
    world: World, case_id: str, patient_id: str, from_site: str, to_site: str, plan: TransferPlan
) -> Process:
    """Requested → sent → chased while overdue → received (or failed, then requested
    again by another attempt)."""
    sender = world.actor(from_site, "mdt_coordinator")
    receiver = world.actor(to_site, "mdt_coordinator")
    chase_after = int(world.net.chase_after_hours * HOUR)
    chase_every = int(world.net.chase_every_hours * HOUR)
    requested = plan.requested
    method = plan.method
    attempt_end = plan.failed_at if plan.failed_at is not None else plan.received
    while True:
        transfer_id = world.next_id("T")
        yield Emit(
            requested,
            TransferRequested(
                transfer_id=transfer_id,
                patient_id=patient_id,
                item=plan.item,
                from_site=from_site,
                to_site=to_site,
                method=method,
                case_id=case_id,
            ),
            receiver,
            world.between(MINUTE, 20 * MINUTE),
        )
        horizon = attempt_end if attempt_end is not None else requested + 12 * DAY
        steps: list[tuple[int, str]] = []
        if method != "pacs" or world.chance(0.5):
            sent = requested + int((horizon - requested) * world.rng.uniform(0.05, 0.6))
            steps.append((sent, "sent"))
        chase, chases = requested + chase_after, 0
        while chase < horizon and chases < 6:
            chased = world.working(chase)
            if chased < horizon:
                steps.append((chased, "chase"))
                chases += 1
            chase = chased + chase_every
        steps.sort()
        for at, what in steps:
            if what == "sent":
                yield Emit(at, TransferSent(transfer_id=transfer_id), sender, world.lag())
                continue
            chase_id = yield Emit(
                at, TransferChased(transfer_id=transfer_id), receiver, world.lag()
            )
            if world.chance(world.net.behaviour.wrong_chase):
                assert chase_id is not None
                yield Emit(
                    max(world.now, at) + world.between(5 * MINUTE, HOUR),
                    EventRetracted(
                        event_id=chase_id, reason="chase logged against the wrong transfer"
                    ),
                    receiver,
                    world.between(MINUTE, 10 * MINUTE),
                )
        if attempt_end is None:
            return  # lost: never received
        if plan.failed_at is not None and attempt_end == plan.failed_at:
            yield Emit(
                attempt_end,
                TransferFailed(transfer_id=transfer_id, reason=_FAILURES[method]),
                receiver,
                world.lag(),
            )
            requested = attempt_end + world.between(20 * MINUTE, 6 * HOUR)
            attempt_end = max(requested + 10 * MINUTE, plan.received or requested)
            plan.failed_at = None
            continue
        lag = world.between(DAY, 3 * DAY) if world.chance(0.05) else world.lag()
        yield Emit(attempt_end, TransferReceived(transfer_id=transfer_id), receiver, lag)
        return
