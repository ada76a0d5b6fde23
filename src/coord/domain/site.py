"""Stream ``site:<site_id>``: ``SiteRegistered``, once per site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.domain.streams import StreamRules, no_links, when
from coord.events import Event
from coord.events.types import SiteRegistered


@dataclass(frozen=True, slots=True)
class SiteState:
    registered_at: datetime | None = None
    name: str | None = None


def evolve(state: SiteState, event: Event) -> SiteState:
    if isinstance(event.data, SiteRegistered):
        return SiteState(registered_at=event.occurred_at, name=event.data.name)
    return state


def check(state: SiteState, event: Event, tz: ZoneInfo) -> str | None:
    if event.type == "SiteRegistered" and state.registered_at is not None:
        return (
            f"site {event.subject} is already registered (at {when(state.registered_at)}); "
            "a site is registered once: retract the registration first to correct it"
        )
    return None


RULES: StreamRules[SiteState] = StreamRules(
    kind="site",
    opener="SiteRegistered",
    missing="is not registered",
    initial=SiteState(),
    evolve=evolve,
    check=check,
    check_links=no_links,
)
