"""The measured tasks, each run in a child process of its own so that its peak memory
(RSS) is its own: ``python -m bench.tasks TASK '{json arguments}'`` prints one JSON
object (its figures, and ``peak_mb``) on its last line of output."""

from __future__ import annotations

import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from bench import baselines
from coord.app.database import initialise, open_database
from coord.app.importing import import_files
from coord.app.recording import record
from coord.app.reporting import build_gaps, build_report
from coord.events import decode_event
from coord.interop.jsonl import parse_line
from coord.projections.rebuild import rebuild
from coord.reports import REPORTS, Period


def coord_import(url: str, file: str) -> dict[str, Any]:
    """``coord import`` of a file into a fresh database (schema made untimed)."""
    database = initialise(url)
    try:
        began = time.perf_counter()
        result = import_files(database.store, [Path(file)], on_rejection=print)
        seconds = time.perf_counter() - began
    finally:
        database.close()
    return {"seconds": seconds, "events": result.imported}


def raw_import(url: str, file: str) -> dict[str, Any]:
    raws = baselines.read_events(Path(file))
    return {"seconds": baselines.raw_insert(url, raws), "events": len(raws)}


def eventsourcing_import(url: str, file: str) -> dict[str, Any]:
    from bench import pyeventsourcing

    raws = baselines.read_events(Path(file))
    return {"seconds": pyeventsourcing.batched(url, raws), "events": len(raws)}


def coord_commands(url: str, file: str) -> dict[str, Any]:
    """Each line of ``file`` recorded as one command: load stream, decide, append,
    project, commit - one event per transaction."""
    database = open_database(url)
    try:
        lines = [line for line in Path(file).read_text().splitlines() if line.strip()]
        commands = [decode_event(parse_line(line)) for line in lines]
        latencies = []
        for event in commands:
            began = time.perf_counter()
            record(database.store, event)
            latencies.append(time.perf_counter() - began)
    finally:
        database.close()
    return {"latencies": latencies}


def eventsourcing_commands(url: str, file: str) -> dict[str, Any]:
    from bench import pyeventsourcing

    raws = baselines.read_events(Path(file))
    return {"latencies": pyeventsourcing.one_by_one(url, raws)}


def coord_rebuild(url: str) -> dict[str, Any]:
    database = open_database(url)
    try:
        began = time.perf_counter()
        read, _rows = rebuild(database.store)
        seconds = time.perf_counter() - began
    finally:
        database.close()
    return {"seconds": seconds, "events": read}


def read_ceiling(url: str) -> dict[str, Any]:
    seconds, count = baselines.read_ceiling(url)
    return {"seconds": seconds, "events": count}


def _median_ms(action: Callable[[], object], runs: int) -> float:
    action()  # warm the caches
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def coord_reports(url: str, periods: dict[str, list[str]], runs: int) -> dict[str, Any]:
    """The median latency of each report (its default ``--by``) and of the gaps query, in
    ms, for each named period."""
    database = open_database(url)
    store, zone = database.store, database.time_zone
    out: dict[str, dict[str, float]] = {}
    try:
        for label, (start, end) in periods.items():
            period = Period(date.fromisoformat(start), date.fromisoformat(end))
            out[label] = _report_timings(store, zone, period, runs)
    finally:
        database.close()
    return {"ms": out}


def _report_timings(store: Any, zone: Any, period: Period, runs: int) -> dict[str, float]:
    timings = {
        name: _median_ms(lambda name=name: build_report(store, zone, name, period, None), runs)
        for name in REPORTS
    }
    timings["gaps"] = _median_ms(lambda: build_gaps(store, zone, period), runs)
    return timings


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "import": coord_import,
    "raw_import": raw_import,
    "eventsourcing_import": eventsourcing_import,
    "commands": coord_commands,
    "eventsourcing_commands": eventsourcing_commands,
    "rebuild": coord_rebuild,
    "read_ceiling": read_ceiling,
    "reports": coord_reports,
}


def main() -> None:
    name, arguments = sys.argv[1], orjson.loads(sys.argv[2])
    result = TASKS[name](**arguments)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.write("\n" + orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
