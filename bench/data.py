"""The benchmark's logs, made by the demo generator (cached by their parameters)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from coord.demo.generator import add_months, generate
from coord.demo.network import load_network

#: events a year of the demo network gives per unit of ``--scale`` (about)
EVENTS_PER_SCALE = 62_500
START = date(2025, 11, 1)
MONTHS = 12
SEED = 1
#: the history curve: one network (the 100k log's population) over more and more years,
#: every log ending where the population curve's logs end
HISTORY_SCALE = 1.6
HISTORY_END = add_months(START, MONTHS)


@dataclass(frozen=True, slots=True)
class BenchLog:
    """A generated log split into the part imported in bulk and the tail recorded one
    command at a time."""

    size: int
    full: Path
    base: Path
    tail: Path
    events: int
    tail_events: int


def scale_for(size: int) -> float:
    return round(size / EVENTS_PER_SCALE, 3)


def generated(size: int, cache: Path) -> Path:
    """The generated log for ``size`` events (about), made once per cache folder."""
    return _generated(cache, scale=scale_for(size), months=MONTHS, start=START)


def history_start(years: int) -> date:
    """The go-live of the history log of ``years``: that many years before its end."""
    if years < 1:
        raise ValueError("a history is at least one year")
    return add_months(HISTORY_END, -12 * years)


def history_periods(years: int) -> dict[str, list[str]]:
    """The fixed periods timed on every history log: its latest full month and its latest
    year (the same dates whatever the history's length)."""
    del years  # every history ends at HISTORY_END
    month, year = add_months(HISTORY_END, -1), add_months(HISTORY_END, -12)
    end = HISTORY_END.isoformat()
    return {"month": [month.isoformat(), end], "year": [year.isoformat(), end]}


def history_generated(years: int, cache: Path) -> Path:
    """The generated log of ``years`` of the same network (scale ``HISTORY_SCALE``), ending
    at ``HISTORY_END``; one year is the population curve's 100k log itself."""
    return _generated(cache, scale=HISTORY_SCALE, months=12 * years, start=history_start(years))


def log_name(scale: float, months: int, start: date) -> str:
    """The cache's name for the log of these parameters (and ``SEED``)."""
    return f"log-seed{SEED}-scale{scale:g}-{months}m-{start}.jsonl"


def _generated(cache: Path, *, scale: float, months: int, start: date) -> Path:
    path = cache / log_name(scale, months, start)
    if not path.exists():
        partial = path.with_suffix(".partial")
        with partial.open("wb") as out:
            generate(load_network(), seed=SEED, months=months, out=out, scale=scale, start=start)
        os.replace(partial, path)
    return path


def prepare(size: int, cache: Path, work: Path, commands: int) -> BenchLog:
    """The log of ``size``, with its last ``commands`` lines split off as the tail."""
    full = generated(size, cache)
    with full.open("rb") as source:
        count = sum(1 for _ in source)
    tail_count = min(commands, count // 10)
    base, tail = work / f"base-{size}.jsonl", work / f"tail-{size}.jsonl"
    with full.open("rb") as source, base.open("wb") as head, tail.open("wb") as rest:
        for number, line in enumerate(source):
            (head if number < count - tail_count else rest).write(line)
    return BenchLog(size, full, base, tail, count, tail_count)
