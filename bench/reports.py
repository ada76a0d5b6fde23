"""Report, gaps and rebuild figures on generated logs of growing size (SQLite by default).

python bench/reports.py --sizes 100000,1000000
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import orjson
from sqlalchemy import func, select

from coord.app.database import Database, initialise
from coord.app.importing import import_files
from coord.app.reporting import build_gaps, build_report
from coord.demo.generator import generate
from coord.demo.network import load_network
from coord.projections.live import utc_bounds
from coord.reports import REPORTS, Period
from coord.store.readmodels import payloads_between
from coord.store.schema import events

EVENTS_PER_YEAR_AT_SCALE_1 = 60_000
START = date(2024, 1, 1)


def median_ms(action: Callable[[], object], runs: int = 7) -> float:
    action()  # warm the caches
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def load(size: int, folder: Path, url: str | None) -> tuple[Database, float, int]:
    scale = size / EVENTS_PER_YEAR_AT_SCALE_1
    log = folder / f"log-{size}.jsonl"
    with log.open("wb") as out:
        generate(load_network(), seed=1, months=12, out=out, scale=scale, start=START)
    database = initialise(url or f"sqlite:///{folder / f'bench-{size}.db'}")
    began = time.perf_counter()
    result = import_files(database.store, [log], time_zone=database.time_zone, on_rejection=print)
    return database, time.perf_counter() - began, result.imported


def raw_read_ms(database: Database, period: Period) -> float:
    start, end = utc_bounds(period, database.time_zone)

    def read() -> None:
        with database.engine.connect() as connection:
            payloads_between(connection, "transfer", start, end)

    return median_ms(read)


def read_ceiling(database: Database) -> float:
    """Seconds to SELECT every event and decode its JSON: what no replay can beat."""
    began = time.perf_counter()
    with database.engine.connect() as connection:
        for row in connection.execute(select(events.c.data, events.c.actor)).yield_per(5000):
            orjson.loads(orjson.dumps(row.data))
    return time.perf_counter() - began


def rebuild_in_child(url: str) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of `coord rebuild` in a child process."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "coord", "rebuild", "--db", url], check=True,
                   capture_output=True)  # fmt: skip
    seconds = time.perf_counter() - began
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, peak_kb / 1024


def measure(size: int, folder: Path, url: str | None, year: Period) -> list[str]:
    """Print the figures for one log size; return its rows of the cost-growth table."""
    database, seconds, imported = load(size, folder, url)
    store, zone = database.store, database.time_zone
    with database.engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(events)).scalar_one()
    print(f"\n== {stored} events; import {imported / seconds:,.0f} events/s")
    baseline = raw_read_ms(database, year)
    print(f"baseline: raw read of a year's transfer rows {baseline:.1f} ms")
    table: list[str] = []
    for name in REPORTS:
        ms = median_ms(lambda name=name: build_report(store, zone, name, year, None))
        print(f"report {name:<13} {ms:8.1f} ms median  ({ms / baseline:5.1f}x baseline)")
        table.append(f"{stored}\t{name}\t{ms:.1f}")
    ms = median_ms(lambda: build_gaps(store, zone, year))
    print(f"gaps                 {ms:8.1f} ms median  ({ms / baseline:5.1f}x baseline)")
    table.append(f"{stored}\tgaps\t{ms:.1f}")
    ceiling = read_ceiling(database)
    database.close()
    seconds, peak = rebuild_in_child(database.url)
    print(
        f"rebuild {stored / seconds:,.0f} events/s ({seconds:.1f} s; read ceiling "
        f"{stored / ceiling:,.0f} events/s, ratio {ceiling / seconds:.2f}); "
        f"peak RSS {peak:.0f} MB"
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000", help="comma-separated event counts")
    parser.add_argument("--db", default=None, help="a database URL (default: a SQLite file)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    year = Period(START + timedelta(days=90), START + timedelta(days=365 + 90))
    table: list[str] = []
    with tempfile.TemporaryDirectory(prefix="coord-bench-") as folder:
        for size in sizes:
            table.extend(measure(size, Path(folder), args.db, year))
    print("\nsize\treport\tmedian ms")
    print("\n".join(table))


if __name__ == "__main__":
    main()
