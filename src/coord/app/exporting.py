"""Export the log as JSON Lines (SPEC §8): every stored event once, in global order."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from coord.interop.jsonl import dump_event
from coord.store.log import EventStore


def export_log(
    store: EventStore, out: IO[bytes], on_progress: Callable[[int], None] | None = None
) -> int:
    """Write every event to ``out`` in global order; return how many were written."""
    written = 0
    with store.reading() as reader:
        for stored in reader.read_all():
            out.write(dump_event(stored.event))
            written += 1
            if on_progress is not None and written % 1000 == 0:
                on_progress(1000)
    return written
