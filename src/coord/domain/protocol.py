"""Stream ``protocol:<pathway>``: ``ProtocolPublished`` versions, and the protocol in force.

Versions are independent of each other (retracting one never breaks another). A new
version is greater than every earlier version of the pathway (retracted ones included),
does not occur before the previous non-retracted version, and occurs strictly after every
non-retracted ``CaseListed`` of its pathway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.domain.streams import Context, StreamRules, when
from coord.events import Event
from coord.events.types import ProtocolPublished


@dataclass(frozen=True, slots=True)
class ProtocolVersion:
    event_id: str
    version: int
    occurred_at: datetime
    required_items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProtocolState:
    """The non-retracted versions of a pathway's protocol, in stream order."""

    versions: tuple[ProtocolVersion, ...] = ()


def version_of(event: Event) -> ProtocolVersion | None:
    """The protocol version an event publishes (None for other events)."""
    data = event.data
    if not isinstance(data, ProtocolPublished):
        return None
    return ProtocolVersion(
        event_id=event.event_id,
        version=data.version,
        occurred_at=event.occurred_at,
        required_items=tuple(data.required_items),
    )


def protocol_in_force(versions: Sequence[ProtocolVersion], at: datetime) -> ProtocolVersion | None:
    """The highest version whose ``occurred_at`` ≤ ``at`` (pass non-retracted versions)."""
    best: ProtocolVersion | None = None
    for candidate in versions:
        if candidate.occurred_at <= at and (best is None or candidate.version > best.version):
            best = candidate
    return best


def evolve(state: ProtocolState, event: Event) -> ProtocolState:
    new = version_of(event)
    return state if new is None else ProtocolState(versions=(*state.versions, new))


def check(state: ProtocolState, event: Event, tz: ZoneInfo) -> str | None:
    new = version_of(event)
    if new is None or not state.versions:
        return None
    latest = max(state.versions, key=lambda v: v.version)
    if new.version <= latest.version:
        return (
            f"protocol {event.subject} already has version {latest.version}; "
            f"publish a version greater than {latest.version}"
        )
    if new.occurred_at < latest.occurred_at:
        return (
            f"protocol {event.subject} v{new.version} occurs at {when(new.occurred_at)}, before "
            f"v{latest.version} ({when(latest.occurred_at)}); a new version cannot predate "
            "the previous one"
        )
    return None


def check_links(state: ProtocolState, event: Event, ctx: Context) -> str | None:
    new = version_of(event)
    if new is None:
        return None
    view = ctx.view(f"protocol:{event.subject}")
    earlier = [v.version for v in map(version_of, view.events) if v is not None]
    if earlier and new.version <= max(earlier):
        return (
            f"protocol {event.subject} already had version {max(earlier)} (retracted versions "
            f"count too); publish a version greater than {max(earlier)}"
        )
    listings = [r for r in ctx.referrers(f"listing:{event.subject}") if r.at >= new.occurred_at]
    if listings:
        last = max(listings, key=lambda r: r.at)
        return (
            f"protocol {event.subject} v{new.version} occurs at {when(new.occurred_at)}, not after "
            f"case {last.stream.partition(':')[2]} was listed ({when(last.at)}); a protocol "
            "cannot change the requirements of cases already listed: publish it later"
        )
    return None


RULES: StreamRules[ProtocolState] = StreamRules(
    kind="protocol",
    opener="",
    missing="has no version",
    initial=ProtocolState(),
    evolve=evolve,
    check=check,
    check_links=check_links,
    independent=True,
)
