"""The benchmark's logs, made by the demo generator (cached by their parameters)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from coord.demo.generator import generate
from coord.demo.network import load_network

#: events a year of the demo network gives per unit of ``--scale`` (about)
EVENTS_PER_SCALE = 62_500
START = date(2025, 11, 1)
MONTHS = 12
SEED = 1


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
    scale = scale_for(size)
    path = cache / f"log-seed{SEED}-scale{scale:g}-{MONTHS}m-{START}.jsonl"
    if not path.exists():
        partial = path.with_suffix(".partial")
        with partial.open("wb") as out:
            generate(load_network(), seed=SEED, months=MONTHS, out=out, scale=scale, start=START)
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
