"""The seeded generator: months of a demo network's activity as a valid event log.

``generate(network, seed=S, months=M, out=FILE)`` writes JSON Lines (the import format)
that the domain rules accept in full. Same network and arguments, same bytes: every random
choice comes from ``random.Random(seed)`` in the order the engine runs lifecycles, event
ids from a second generator seeded from the seed, and nothing depends on the clock or on
hash order. See docs/demo-network.md for what the log contains.

The lifecycles live in modules named for what they generate: ``meetings``,
``referrals`` (patients and referrals), ``cases`` (listings and items), ``transfers``,
``discussions`` (outcomes, actions, treatment) and ``handovers``; ``world`` holds the
shared state and random draws, ``engine`` the scheduler.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from random import Random
from typing import BinaryIO

from coord.demo.engine import Emit, Engine, Process
from coord.demo.meetings import schedule_meetings
from coord.demo.network import GROUPS, Network
from coord.demo.referrals import referrals
from coord.demo.world import DEFAULT_START, HOUR, MINUTE, World, add_months
from coord.events.types import (
    ProfessionalGroup,
    ProtocolPublished,
    SiteRegistered,
)


def generate(
    network: Network,
    *,
    seed: int,
    months: int,
    out: BinaryIO,
    scale: float = 1.0,
    start: date = DEFAULT_START,
    until: date | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``months`` of activity from ``start`` to ``out``; returns the number of events.

    ``until`` (a local date after ``start``), when given, is the first day not generated,
    in place of ``months`` after ``start``. ``scale`` multiplies patient volume.
    Lifecycles still in flight at the end are left open, as they would be in a real log:
    the next meetings' lists are being prepared, transfers and handovers are under way.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    if scale <= 0:
        raise ValueError("scale must be positive")
    end = add_months(start, months) if until is None else until
    if end <= start:
        raise ValueError("the period must end after it starts")
    world = World(network, seed=seed, scale=scale, start=start, end=end)
    engine = Engine(
        out, id_rng=Random(f"coord-demo-ids:{seed}"), end=world.end, on_progress=on_progress
    )
    world.engine = engine
    engine.now = world.start
    engine.spawn(go_live(world))
    return engine.run()


def go_live(world: World) -> Process:
    """Sites and first protocols at 07:00 on the first day; then everything starts."""
    net = world.net
    t = world.start + 7 * HOUR
    manager = world.actor(net.pathways[0].host, "network_manager")
    for i, site in enumerate(net.sites):
        yield Emit(
            t + i * MINUTE,
            SiteRegistered(
                site_id=site.id, name=site.name, specialist_for=list(site.specialist_for)
            ),
            manager,
            lag=30,
        )
    t += 30 * MINUTE
    for i, pathway in enumerate(net.pathways):
        protocol = net.first_protocol(pathway.name)
        yield Emit(
            t + i * MINUTE,
            ProtocolPublished(
                pathway=pathway.name,
                version=protocol.version,
                required_items=list(protocol.required_items),
            ),
            manager,
            lag=30,
        )
        world.protocols[pathway.name].append((t + i * MINUTE, protocol.required_items))
    revision = net.revision
    if revision is not None:
        world.spawn(
            publish_revision(world, revision.pathway, revision.version, revision.required_items)
        )
    for pathway in net.pathways:
        world.spawn(schedule_meetings(world, pathway))
    for pathway in net.pathways:
        world.spawn(referrals(world, pathway))


def publish_revision(world: World, pathway: str, version: int, items: tuple[str, ...]) -> Process:
    at = world.revision_at
    yield Emit(
        at,
        ProtocolPublished(pathway=pathway, version=version, required_items=list(items)),
        world.actor(world.net.pathways[0].host, "network_manager"),
    )
    world.protocols[pathway].append((at, items))


__all__ = ["DEFAULT_START", "GROUPS", "ProfessionalGroup", "add_months", "generate"]
