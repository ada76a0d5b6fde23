"""Progress bars on standard error, shown only when it is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)


@contextmanager
def progress_bar(
    description: str, total: int | None, *, in_bytes: bool = False
) -> Iterator[Callable[[int], None]]:
    """Yield an ``advance(n)`` callback; draws a bar only on an interactive terminal."""
    with progress_phases() as phase:
        yield phase(description, total, in_bytes)


#: starts the next phase of a task's progress: (description, total, in bytes) -> advance
Phase = Callable[[str, "int | None", bool], Callable[[int], None]]


@contextmanager
def progress_phases() -> Iterator[Phase]:
    """Yield ``phase(description, total, in_bytes)``, which ends the bar of the phase
    before (one bar is drawn at a time) and returns the new one's ``advance(n)``: for
    work done in steps of different sizes, such as an import's lines and then its
    read models. Draws bars only on an interactive terminal."""
    interactive = sys.stderr.isatty()
    with ExitStack() as bars:

        def phase(description: str, total: int | None, in_bytes: bool) -> Callable[[int], None]:
            bars.close()
            if not interactive:
                return lambda _n: None
            return bars.enter_context(_bar(description, total, in_bytes))

        yield phase


@contextmanager
def _bar(description: str, total: int | None, in_bytes: bool) -> Iterator[Callable[[int], None]]:
    amount = DownloadColumn() if in_bytes else MofNCompleteColumn()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        amount,
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
