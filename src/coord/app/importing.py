"""Import JSON Lines files into the log (SPEC §3 "Import").

Every line is validated against the stored log followed by the valid lines before it,
file by file in the order given. Valid lines are appended, in batches, inside one
serialised unit of work; if any line is invalid (and invalid lines are not being
skipped) the unit of work is rolled back, so nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, NamedTuple

from coord.domain.ledger import Ledger
from coord.domain.log import Accepted, Duplicate
from coord.events import Event, InvalidEvent, decode_event
from coord.interop.jsonl import InvalidLine, Line, open_input, parse_line, read_lines
from coord.projections.collector import collector_spared
from coord.projections.rebuild import rebuild_within
from coord.store.engine import is_postgresql
from coord.store.log import EventStore, Writer
from coord.store.statistics import IMPORTED_TABLES, vacuum_and_analyse

BATCH_SIZE = 1000
#: An import projects in bulk once it has appended at least this many times the events
#: the log held when it started (an import into an empty log, from its first batch): the
#: projector then stops, and the read models are derived again from the whole log, as
#: ``coord rebuild`` does, in the import's own transaction before it commits. Below it,
#: the projector keeps them batch by batch. Folding and writing the whole log costs
#: about what projecting a third as many events batch by batch costs, so switching at
#: that fraction of the log costs at most about twice the cheaper of the two.
BULK_PROJECTION_RATIO = 0.3


@dataclass(frozen=True, slots=True)
class LineRejection:
    """An invalid line: ``FILE:LINE: reason``; ``text`` is the line without its line end."""

    file: str
    line: int
    reason: str
    text: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ImportResult:
    imported: int
    duplicates: int
    rejected: int
    written: bool

    def summary(self, *, with_rejected: bool = False) -> str:
        text = f"imported {self.imported}, duplicates {self.duplicates}"
        return text + (f", rejected {self.rejected}" if with_rejected else "")


class ImportRejected(Exception):
    """Some lines were invalid, so nothing was written."""

    def __init__(self, rejected: int) -> None:
        super().__init__(f"{rejected} invalid line(s); nothing was imported")
        self.rejected = rejected


class _Abort(Exception):
    pass


def import_files(
    store: EventStore,
    paths: Sequence[Path],
    *,
    on_rejection: Callable[[LineRejection], None],
    skip_invalid: bool = False,
    recorded_now: bool = False,
    now: datetime | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_projecting: Callable[[int], Callable[[int], None]] | None = None,
) -> ImportResult:
    """Import ``paths`` in order. Each invalid line goes to ``on_rejection`` as it is found.

    Raises :class:`ImportRejected` (after reporting every invalid line) when a line is
    invalid and ``skip_invalid`` is false; raises ``OSError`` if a file cannot be read
    (before anything is written). A large import projects in bulk
    (:data:`BULK_PROJECTION_RATIO`): ``on_projecting`` is then called with the number of
    events in the log before the read models are derived from them, and returns the
    ``advance(n)`` callback of that work's progress.

    The local-date rules take the network's time zone as stored, read in the import's
    unit of work (which holds the lock ``coord init --tz`` takes to change it), the zone
    the read models' rows are derived in.
    """
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
    started = now or datetime.now(UTC)
    counts = _Counts()
    # whether the append hook has been stopped; and whether there was one to stop (a
    # store without one keeps no read models)
    switched = in_bulk = False
    try:
        with store.writing() as writer, collector_spared() as batch_done:
            ledger = Ledger(
                writer, time_zone=writer.time_zone(), now=started, recorded_now=recorded_now
            )
            head = writer.head()
            logged = 0 if head is None else head.position
            for path in paths:
                with open_input(path) as stream:
                    for chunk in _chunks(_decoded_lines(path, stream, on_progress), BATCH_SIZE):
                        if not switched and counts.imported >= BULK_PROJECTION_RATIO * logged:
                            switched, in_bulk = True, writer.stop_append_hook()
                        _import_chunk(writer, ledger, chunk, counts, on_rejection)
                        batch_done()
            if counts.rejected and not skip_invalid:
                raise _Abort
            # the streams the ledger holds are not needed any more: freed before the read
            # models' fold (48 MB less peak RSS importing 913k events)
            del ledger
            if in_bulk and counts.imported:
                # in place on PostgreSQL: a fresh table swapped in is not safe for readers
                head = writer.head()
                advance = on_projecting(head.position if head else 0) if on_projecting else None
                rebuild_within(writer, advance, in_place=is_postgresql(writer.connection))
    except _Abort:
        raise ImportRejected(counts.rejected) from None
    if in_bulk and counts.imported:
        # the tables now hold at least a third more: the planner's figures are out of date,
        # and none of their pages is marked all-visible for index-only scans
        vacuum_and_analyse(store.engine, IMPORTED_TABLES)
    return ImportResult(counts.imported, counts.duplicates, counts.rejected, written=True)


@dataclass
class _Counts:
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0


class _Decoded(NamedTuple):
    """A line decoded into an event, or the reason it could not be."""

    path: Path
    line: Line
    event: Event | None
    reason: str | None


def _decoded_lines(
    path: Path, stream: IO[bytes], on_progress: Callable[[int], None] | None
) -> Iterator[_Decoded]:
    done_before = 0
    for line in read_lines(stream):
        if on_progress is not None:
            on_progress(line.end_offset - done_before)
            done_before = line.end_offset
        if line.error is not None:
            yield _Decoded(path, line, None, line.error)
            continue
        try:
            yield _Decoded(path, line, decode_event(parse_line(line.text)), None)
        except (InvalidLine, InvalidEvent) as error:
            yield _Decoded(path, line, None, error.reason)


def _chunks(items: Iterator[_Decoded], size: int) -> Iterator[list[_Decoded]]:
    chunk: list[_Decoded] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _import_chunk(
    writer: Writer,
    ledger: Ledger,
    chunk: list[_Decoded],
    counts: _Counts,
    on_rejection: Callable[[LineRejection], None],
) -> None:
    """Decide a chunk of lines (what the rules read of the store loaded in bulk first),
    then append the accepted ones in one batch."""
    reads = ledger.reads(item.event for item in chunk if item.event is not None)
    writer.prefetch(reads.event_ids, reads.streams, reads.keys)
    batch: list[Accepted] = []
    for item in chunk:
        reason = item.reason
        if item.event is not None:
            decision = ledger.decide(item.event)
            if isinstance(decision, Accepted):
                ledger.accept(decision)
                batch.append(decision)
                counts.imported += 1
                continue
            if isinstance(decision, Duplicate):
                counts.duplicates += 1
                continue
            reason = decision.reason
        counts.rejected += 1
        on_rejection(LineRejection(str(item.path), item.line.number, reason or "", item.line.text))
    if batch:
        writer.append(batch)
        ledger.flushed()
