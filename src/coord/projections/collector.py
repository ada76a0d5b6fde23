"""Keeping Python's cyclic garbage collector out of long work that makes many objects.

The collector traverses every live container object at each full collection. Work that
makes tens of thousands of objects at a time (a rebuild's fold, a year's gap rows, an
import's ledger) set it off again and again, and a third of that work's time went to
traversals that found nothing: the objects hold no reference cycles and are freed by
reference counting as usual."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the collector for the block, then leave it as it was found (on or off).

    What the block made is then moved to the oldest generation untraversed
    (``gc.freeze`` and ``gc.unfreeze`` splice the lists): left young, all of it was
    traversed by the first collection after the block (a year's gap rows at 913k events:
    10-18 ms of 65-100 ms of CPU, finding nothing). It is still traversed by the next
    full collection if it lives that long. Not done while something else has frozen
    objects (unfreezing would release theirs)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


@contextmanager
def collector_spared() -> Iterator[Callable[[], None]]:
    """For work that holds much for long (an import's ledger of streams): the block gets
    ``gc.freeze``, to call after each batch so that what is alive then is no longer
    scanned (still freed when unreferenced); everything is unfrozen when the block ends.
    Left alone when the collector is off or something else has frozen objects (freezing
    does not nest)."""
    if not gc.isenabled() or gc.get_freeze_count():
        yield lambda: None
        return
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()
