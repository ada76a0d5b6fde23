"""Reports and the gaps query for the CLI and the UI.

Live reports read their facts from the read models; ``--as-of T`` replays the events
recorded by T. Both then compute the figures with the one definition of each metric in
:mod:`coord.reports`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from coord.projections.collector import collector_paused
from coord.projections.live import ReadModelsBehind, aggregated_report, live_facts, live_gaps
from coord.reports import (
    REPORTS,
    Facts,
    GapsReport,
    Period,
    Report,
    derive_facts,
    fold_facts,
    gaps_query,
    report,
)
from coord.store.log import EventStore, Reader
from coord.store.readmodels import checkpoint

_NO_FACTS: Facts = derive_facts(())


def facts_as_of(store: EventStore, as_of: datetime) -> Facts:
    """The facts of the log as the store knew it at ``as_of``: the events recorded by
    then, less those retracted by then, folded as they are read (the log is never held
    whole, so a report as of any moment needs no more memory than its facts)."""
    with store.reading() as reader:
        retracted = reader.retracted_event_ids(recorded_by=as_of)
        return fold_facts((s.event for s in reader.read_recorded_by(as_of)), retracted)


def build_report(
    store: EventStore,
    time_zone: ZoneInfo,
    name: str,
    period: Period,
    by: str | None,
    as_of: datetime | None = None,
) -> Report[Any]:
    """The report ``name`` (SPEC §6) over ``period``, as known at ``as_of`` when given."""
    if as_of is not None:
        return report(facts_as_of(store, as_of), name, period, by, time_zone, as_of=as_of)
    if name not in REPORTS:
        return report(_NO_FACTS, name, period, by, time_zone)  # names the reports there are
    with store.reading() as reader:
        check_current(reader)
        aggregated = aggregated_report(reader.connection, name, period, by, time_zone)
        if aggregated is not None:
            return aggregated
        facts = live_facts(reader.connection, name, period, time_zone)
    return report(facts, name, period, by, time_zone)


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
    if as_of is not None:
        facts = facts_as_of(store, as_of)
        return gaps_query(facts, period, time_zone, site=site, pathway=pathway, as_of=as_of)
    with store.reading() as reader, collector_paused():
        check_current(reader)
        return live_gaps(reader.connection, period, time_zone, site=site, pathway=pathway)


def check_current(reader: Reader) -> None:
    """Refuse to answer from read models that do not yet include every event."""
    head = reader.head()
    done = checkpoint(reader.connection)
    if done != (head.position if head else 0):
        raise ReadModelsBehind(
            f"the read models include the log up to position {done} of "
            f"{head.position if head else 0}; run `coord rebuild` to bring them up to date"
        )
