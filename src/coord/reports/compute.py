"""Replaying the log into a report: the one path that the ``--as-of`` view shares with
the live reports (same facts, same report definitions)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from coord.events import Event
from coord.reports import completeness, handovers, meetings, referrals, transfers
from coord.reports.facts import Facts, derive_facts
from coord.reports.gaps import GapsReport, gaps_query
from coord.reports.model import Report
from coord.reports.periods import Period

AnyReport = Report[Any]


@dataclass(frozen=True, slots=True)
class ReportDefinition:
    name: str
    by_keys: tuple[str, ...]
    default_by: str
    build: Callable[..., AnyReport]


#: every report of SPEC §6, by name
REPORTS: Mapping[str, ReportDefinition] = {
    module.NAME: ReportDefinition(module.NAME, module.BY_KEYS, module.DEFAULT_BY, build)
    for module, build in (
        (completeness, completeness.completeness_report),
        (transfers, transfers.transfers_report),
        (handovers, handovers.handovers_report),
        (referrals, referrals.referrals_report),
        (meetings, meetings.meetings_report),
    )
}


def events_as_of(events: Iterable[Event], as_of: datetime) -> list[Event]:
    """The log as the store knew it at ``as_of``: the events with ``recorded_at`` ≤
    ``as_of``, retractions included (an event not yet recorded is not known)."""
    return [e for e in events if e.recorded_at is not None and e.recorded_at <= as_of]


def report(
    facts: Facts,
    name: str,
    period: Period,
    by: str | None,
    time_zone: ZoneInfo,
    *,
    as_of: datetime | None = None,
) -> AnyReport:
    """The report ``name`` of SPEC §6 from already derived facts (``by`` None: its
    default key)."""
    definition = REPORTS.get(name)
    if definition is None:
        raise ValueError(f"there is no report {name!r}; use one of: {', '.join(REPORTS)}")
    return definition.build(facts, period, by or definition.default_by, time_zone, as_of=as_of)


def compute(
    events: Iterable[Event],
    name: str,
    period: Period,
    by: str | None,
    time_zone: ZoneInfo,
    as_of: datetime | None = None,
) -> AnyReport:
    """Replay ``events`` (in global order; only those recorded by ``as_of`` when given)
    and compute the report ``name``."""
    known = events_as_of(events, as_of) if as_of is not None else events
    return report(derive_facts(known), name, period, by, time_zone, as_of=as_of)


def compute_gaps(
    events: Iterable[Event],
    period: Period,
    time_zone: ZoneInfo,
    *,
    site: str | None = None,
    pathway: str | None = None,
    as_of: datetime | None = None,
) -> GapsReport:
    """Replay ``events`` and answer the gaps query (SPEC §7)."""
    known = events_as_of(events, as_of) if as_of is not None else events
    return gaps_query(
        derive_facts(known), period, time_zone, site=site, pathway=pathway, as_of=as_of
    )
