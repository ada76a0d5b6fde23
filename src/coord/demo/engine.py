"""A small discrete-event engine that writes events in ``recorded_at`` order.

Each lifecycle (a patient's pathway, a transfer, a meeting day, ...) is a generator that
yields steps: :class:`Emit` (record an event that occurred at ``occurred``, ``lag``
seconds later) or :class:`Sleep` (resume at ``until``). Pending steps wait in a heap keyed
by the instant they are recorded (or resumed), so:

- events leave the engine in non-decreasing ``recorded_at`` order, whatever their
  ``occurred_at`` (late logging is an ``Emit`` with a long lag);
- a lifecycle yields its next step only after its previous event was written, so the
  events of one stream are appended in the order the lifecycle produced them, and an event
  referring to another stream is written after that stream's opening event;
- memory holds only the lifecycles in flight, not the log, so a long run needs no more
  memory than a short one.

Ties are broken by the order steps were scheduled, so a run depends on nothing but the
seed.
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from random import Random
from typing import BinaryIO

from coord.events import Actor, new_event
from coord.events.types import EventData
from coord.interop.jsonl import dump_event


@dataclass(frozen=True, slots=True)
class Emit:
    """Record an event that occurred at ``occurred`` (epoch seconds), ``lag`` seconds later
    (or now, if that moment has passed). The lifecycle is resumed with the event's id."""

    occurred: int
    data: EventData
    actor: Actor | None
    lag: int = 0


@dataclass(frozen=True, slots=True)
class Sleep:
    """Resume the lifecycle at ``until`` (epoch seconds), or now if that has passed."""

    until: int


Step = Emit | Sleep
Process = Generator[Step, str | None, None]


def utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class Engine:
    """Runs lifecycles until the heap is empty or the next step is after ``end``."""

    def __init__(
        self,
        out: BinaryIO,
        *,
        id_rng: Random,
        end: int,
        on_progress: Callable[[int], None] | None = None,
        progress_every: int = 1000,
    ) -> None:
        self._out = out
        self._ids = id_rng
        self._end = end
        self._heap: list[tuple[int, int, Process, Step]] = []
        self._seq = 0
        self._on_progress = on_progress
        self._progress_every = progress_every
        self.now = 0
        self.written = 0

    def spawn(self, process: Process) -> None:
        """Start a lifecycle now: it runs until its first step."""
        self._advance(process, None)

    def run(self) -> int:
        """Write events until nothing is left before ``end``; returns the number written."""
        heap = self._heap
        pending = 0
        while heap:
            key, _, process, step = heapq.heappop(heap)
            if key > self._end:
                break
            self.now = key
            value: str | None = None
            if isinstance(step, Emit):
                value = self._write(step, key)
                pending += 1
                if pending >= self._progress_every and self._on_progress is not None:
                    self._on_progress(pending)
                    pending = 0
            self._advance(process, value)
        if pending and self._on_progress is not None:
            self._on_progress(pending)
        heap.clear()
        return self.written

    def _advance(self, process: Process, value: str | None) -> None:
        try:
            step = process.send(value)
        except StopIteration:
            return
        if isinstance(step, Emit):
            key = max(self.now, step.occurred + step.lag)
        else:
            key = max(self.now, step.until)
        self._seq += 1
        heapq.heappush(self._heap, (key, self._seq, process, step))

    def _write(self, step: Emit, recorded: int) -> str:
        event_id = str(uuid.UUID(int=self._ids.getrandbits(128), version=4))
        event = new_event(step.data, utc(step.occurred), actor=step.actor, event_id=event_id)
        self._out.write(dump_event(event.recorded(utc(recorded))))
        self.written += 1
        return event_id
