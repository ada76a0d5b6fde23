"""Import JSON Lines files into the log (SPEC §3 "Import").

Every line is validated against the stored log followed by the valid lines before it,
file by file in the order given. Valid lines are appended, in batches, inside one
serialised unit of work; if any line is invalid (and invalid lines are not being
skipped) the unit of work is rolled back, so nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from coord.domain.ledger import Ledger
from coord.domain.log import Accepted, Duplicate, Rejected
from coord.events import InvalidEvent, decode_event
from coord.interop.jsonl import InvalidLine, open_input, parse_line, read_lines
from coord.store.log import EventStore

BATCH_SIZE = 1000


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
    time_zone: ZoneInfo,
    on_rejection: Callable[[LineRejection], None],
    skip_invalid: bool = False,
    recorded_now: bool = False,
    now: datetime | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import ``paths`` in order. Each invalid line goes to ``on_rejection`` as it is found.

    Raises :class:`ImportRejected` (after reporting every invalid line) when a line is
    invalid and ``skip_invalid`` is false; raises ``OSError`` if a file cannot be read
    (before anything is written).
    """
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
    started = now or datetime.now(UTC)
    imported = duplicates = rejected = 0
    try:
        with store.writing() as writer:
            ledger = Ledger(writer, time_zone=time_zone, now=started, recorded_now=recorded_now)
            batch: list[Accepted] = []
            for path in paths:
                done_before = 0
                with open_input(path) as stream:
                    for line in read_lines(stream):
                        if on_progress is not None:
                            on_progress(line.end_offset - done_before)
                            done_before = line.end_offset
                        reason = line.error
                        if reason is None:
                            try:
                                decision = ledger.decide(decode_event(parse_line(line.text)))
                            except (InvalidLine, InvalidEvent) as error:
                                reason = error.reason
                            else:
                                if isinstance(decision, Accepted):
                                    ledger.accept(decision)
                                    batch.append(decision)
                                    imported += 1
                                    if len(batch) >= BATCH_SIZE:
                                        writer.append(batch)
                                        ledger.flushed()
                                        batch = []
                                    continue
                                if isinstance(decision, Duplicate):
                                    duplicates += 1
                                    continue
                                assert isinstance(decision, Rejected)
                                reason = decision.reason
                        rejected += 1
                        on_rejection(LineRejection(str(path), line.number, reason, line.text))
            if batch:
                writer.append(batch)
                ledger.flushed()
            if rejected and not skip_invalid:
                raise _Abort
    except _Abort:
        raise ImportRejected(rejected) from None
    return ImportResult(imported, duplicates, rejected, written=True)
