"""Record one event from a command (terminal UI or CLI): load what the rules need (in
one query), decide, append — one serialised unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

from coord.domain.ledger import Ledger
from coord.domain.log import Accepted, Duplicate
from coord.domain.references import reads_of
from coord.events import Event
from coord.store.log import EventStore


class EventRejected(Exception):
    """The rules refused the event; nothing was written. ``reason`` says why and what to do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def record(
    store: EventStore,
    event: Event,
    *,
    now: datetime | None = None,
) -> Accepted | Duplicate:
    """Append ``event`` if the rules accept it; raise :class:`EventRejected` if not.

    The local-date rules take the network's time zone as stored, read in the unit of
    work that appends (so a ``coord init --tz`` from another process since the database
    was opened counts), the zone the read models' rows are derived in.

    A ``ConcurrencyError`` from the store means another writer changed the stream
    between our read and our append; the caller may retry.
    """
    # what the rules will read, with the head of the log, in one query (on PostgreSQL
    # sent with the lock), less the streams whose views the store kept from its last
    # command, if the head is theirs
    with store.writing(prefetch=reads_of([event])) as writer:
        views = writer.kept_views()
        ledger = Ledger(
            writer, time_zone=writer.time_zone(), now=now or datetime.now(UTC), views=views
        )
        decision = ledger.decide(event)
        if isinstance(decision, Accepted):
            writer.append([decision])
            ledger.accept(decision)  # into the views, which then hold the log with it
        writer.keep_views(views)
        if isinstance(decision, Accepted | Duplicate):
            return decision
        raise EventRejected(decision.reason)
