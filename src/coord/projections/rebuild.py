"""``coord rebuild``: recompute every read model from the log into a fresh table and swap
it in, holding the append lock, in one transaction (a failure leaves the old ones)."""

from __future__ import annotations

from collections.abc import Callable

from coord.events.types import EventRetracted
from coord.projections.rows import rows_of
from coord.reports import FactBuilder, facts_of
from coord.store.log import EventStore
from coord.store.readmodels import network_time_zone, swap_in


def rebuild(store: EventStore, on_progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Recompute the read models; returns (events read, rows written)."""
    with store.writing() as writer:
        retracted = writer.retracted_event_ids()
        builder = FactBuilder()
        read = 0
        position = 0
        for stored in writer.read_all():
            read += 1
            position = stored.position
            event = stored.event
            if event.event_id not in retracted and not isinstance(event.data, EventRetracted):
                builder.apply(event, stored.position)
            if on_progress is not None and read % 1000 == 0:
                on_progress(1000)
        zone = network_time_zone(writer.connection)
        rows = swap_in(writer.connection, rows_of(facts_of(builder), time_zone=zone), position)
    return read, rows
