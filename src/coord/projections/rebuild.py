"""``coord rebuild``: recompute every read model from the log into a fresh table and swap
it in, holding the append lock, in one transaction (a failure leaves the old ones).

The log is read a page at a time, only the types the fold reads, as stored: every event
was validated when it was appended (and the log is hash-chained), so its data is folded
as it is (:meth:`FactBuilder.apply_stored`, each event straight from the driver's row,
:func:`~coord.store.rows.fold_stored`) instead of being decoded again; an event of an
older schema version is decoded, and so upcast, as the whole log is when read. The
rows are written as they are made, each directly as its parameters
(:func:`~coord.projections.rows.rows_of`); on PostgreSQL the fresh table's indexes are
sorted in memory (:func:`~coord.store.bulk_rows.sort_indexes_in_memory`), on SQLite the
rows go into the table with its indexes already made (:func:`~coord.store.readmodels.swap_in`).

Its cost per event does not grow with the log's length: on SQLite, one year of the demo
network (102k events) and three years of it (305k) took the same CPU per event, 20-25 us
(the read ceiling 4.5-6 us), 27 November 2026. A bigger network is another mix, not a
longer log: at scale 16 (913k events) 1.6 % of the events are attendances (cheap to
fold, no rows) against 12.3 % at scale 1.6, and there are 12 % more read-model rows per
event. The time is spread thin (913k events, sampled): the rows' SQLite inserts about a
fifth (about half of that the primary key's and the two covering indexes' upkeep),
making the rows' parameters (payload JSON, instants as text) about a quarter, the fold's
steps a fifth, reading and decoding the log a seventh, the facts a tenth. Since then
(28 November 2026) both the rows and the fold cost less: the rows made kind by kind in
the primary key's order, each record's payload written from a dict made by a function
per class, each instant's text from a table of two-digit strings (a whole 102k rebuild
9.29G -> 8.65G instructions), and the fold's records made without a ``setattr`` a field
(the fold and the facts 1.49G -> 0.88G). The benchmark at 913k then measured 0.267x the
read ceiling on SQLite and 0.290x on PostgreSQL.

Where its wall time went at 913k events on SQLite (27 November 2026, ``getrusage`` and
``/proc/self/io``, one run on a loaded machine): folding the log 9 s of CPU; making and
writing the rows 15.8 s, of which the growth (per row 21 us at 102k events, 33 us at
913k) was SQLite's statement journal, 3.3 GB written to a temporary file (gone: see
:func:`~coord.store.bulk_rows._prepared_plan`; then 17 and 24 us a row); the commit
and the checkpoint after it 1.9-2.2 s (252 MB of WAL copied into the database file).
A page cache of 64 MB instead of SQLite's 2 MB saved 0.4 s of the rows' 11.4 s, for
62 MB more memory: not taken.
"""

from __future__ import annotations

from collections.abc import Callable

from coord.projections.collector import collector_paused
from coord.projections.rows import rows_of
from coord.reports import FactBuilder, facts_of
from coord.reports.fold import FOLDED_TYPES
from coord.store.bulk_rows import sort_indexes_in_memory
from coord.store.log import EventStore, Writer
from coord.store.readmodels import network_time_zone, replace_rows, swap_in
from coord.store.rows import fold_stored
from coord.store.statistics import REBUILT_TABLES, vacuum_and_analyse


def rebuild(store: EventStore, on_progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Recompute the read models; returns (events in the log, rows written)."""
    with store.writing() as writer:
        read, written = rebuild_within(writer, on_progress)
    vacuum_and_analyse(store.engine, REBUILT_TABLES)
    return read, written


def rebuild_within(
    writer: Writer,
    on_progress: Callable[[int], None] | None = None,
    *,
    in_place: bool = False,
) -> tuple[int, int]:
    """Recompute the read models inside ``writer``'s unit of work (it commits them with
    whatever else it wrote, e.g. an import's events); returns (events in the log, rows
    written).

    ``in_place``: replace the rows of the read models' table itself (every row deleted,
    then the new ones inserted) instead of swapping in a fresh table. On PostgreSQL a
    fresh table is not safe for a concurrent reader (a snapshot taken before the commit
    finds the new table empty, not the old rows) and its swap waits for every reader of
    the old one; rows replaced in place are seen by each reader as of its snapshot."""
    with collector_paused():
        # the fold's state is freed (on _rebuild's return) before the collector is on
        # again: else its first collection traverses every object of the fold still held
        # here (3% of a rebuild's time)
        return _rebuild(writer, on_progress, in_place)


def _rebuild(
    writer: Writer, on_progress: Callable[[int], None] | None, in_place: bool
) -> tuple[int, int]:
    head = writer.head()
    last = 0 if head is None else head.position
    retracted = writer.retracted_event_ids()
    builder = FactBuilder()
    reported = 0
    for read in fold_stored(
        writer.connection, FOLDED_TYPES, builder.apply_stored, builder.apply, retracted
    ):
        if on_progress is not None:
            # positions are gap-free: every event up to this page's last one is read
            on_progress(read - reported)
            reported = read
    if on_progress is not None and last > reported:
        on_progress(last - reported)
    zone = network_time_zone(writer.connection)
    rows = rows_of(facts_of(builder), time_zone=zone)
    if in_place:
        return last, replace_rows(writer.connection, rows, last)
    sort_indexes_in_memory(writer.connection)
    return last, swap_in(writer.connection, rows, last)
