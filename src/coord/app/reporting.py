"""Reports and the gaps query for the CLI and the UI.

For now both the live view and ``--as-of`` replay the stored log through the one
definition of each metric in :mod:`coord.reports`; read models kept in the database
(the projections issue) will answer the live view without a replay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from coord.events import Event
from coord.reports import GapsReport, Period, Report, compute, compute_gaps
from coord.store.log import EventStore


def _events(store: EventStore) -> list[Event]:
    with store.reading() as reader:
        return [stored.event for stored in reader.read_all()]


def build_report(
    store: EventStore,
    time_zone: ZoneInfo,
    name: str,
    period: Period,
    by: str | None,
    as_of: datetime | None = None,
) -> Report[Any]:
    """The report ``name`` (SPEC §6) over ``period``, as known at ``as_of`` when given."""
    return compute(_events(store), name, period, by, time_zone, as_of=as_of)


def build_gaps(
    store: EventStore,
    time_zone: ZoneInfo,
    period: Period,
    *,
    site: str | None = None,
    pathway: str | None = None,
    as_of: datetime | None = None,
) -> GapsReport:
    """The information-gaps audit query (SPEC §7)."""
    return compute_gaps(_events(store), period, time_zone, site=site, pathway=pathway, as_of=as_of)
