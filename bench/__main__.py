"""``python -m bench``: coord's speed side by side with its baselines, in one run, on
SQLite and PostgreSQL, printed as one table per database and two cost-growth tables of
the reports: by population (``--sizes``: a year of a bigger and bigger network) and by
history length (``--history``: the same network's log over more and more years, the
reports timed over the same latest month and year).

For each size the log is made by the demo generator (cached in ``--cache``); its last
``--commands`` lines are split off and recorded one command at a time. Every figure is
the median of repeated runs in child processes of their own (their peak RSS is shown);
ratios compare figures measured in this same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench.data import (
    HISTORY_SCALE,
    BenchLog,
    history_generated,
    history_periods,
    prepare,
)

ROOT = Path(__file__).resolve().parent.parent
#: the report periods timed: a month (the reports' usual period) and the whole year
PERIODS = {"month": ["2026-05-01", "2026-06-01"], "year": ["2025-11-01", "2026-11-01"]}
#: sizes at or above this are measured once (a run takes minutes)
LARGE = 500_000
REPORT_NAMES = ("completeness", "transfers", "handovers", "referrals", "meetings", "gaps")


def run_task(name: str, **arguments: Any) -> dict[str, Any]:
    """Run one measured task in a child process; its figures and peak RSS."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH")])
        ),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.tasks", name, orjson.dumps(arguments).decode()],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"bench task {name} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    return result


class Backend:
    """Where the benchmark's fresh databases are made (and dropped)."""

    label = ""

    def fresh(self, tag: str) -> str:
        raise NotImplementedError

    def drop(self, url: str) -> None:
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError

    def settle(self, url: str) -> None:
        """Bring a freshly imported database to the state it keeps once the server's
        background work is done (SQLite has none)."""


class SqliteBackend(Backend):
    label = "SQLite"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def fresh(self, tag: str) -> str:
        path = self.folder / f"{tag}.db"
        self.drop(f"sqlite:///{path}")
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"


class PostgresBackend(Backend):
    label = "PostgreSQL"

    def __init__(self, server: Any) -> None:
        self.server = server

    def fresh(self, tag: str) -> str:
        url: str = self.server.create_database()
        return url

    def drop(self, url: str) -> None:
        self.server.drop_database(url)

    def settle(self, url: str) -> None:
        """``VACUUM (ANALYZE)``: what autovacuum does within a minute or two of a bulk
        import (the visibility map for index-only scans, the statistics for the plans).
        Left to autovacuum, a just-imported database is timed with those still to come,
        and with autovacuum busy on it at the same time, while an earlier one is not."""
        from sqlalchemy import create_engine

        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("VACUUM (ANALYZE)")
        finally:
            engine.dispose()

    def version(self) -> str:
        import psycopg

        with self.server._admin() as connection:
            row = connection.execute("SHOW server_version").fetchone()
        return f"PostgreSQL {row[0] if row else '?'} (psycopg {psycopg.__version__})"


@contextmanager
def postgres_backend() -> Iterator[PostgresBackend | str]:
    """The PostgreSQL server: ``COORD_BENCH_POSTGRES_URL``, else started as the tests
    start theirs (``tests/pg_harness.py``); a reason string when there is none."""
    sys.path.insert(0, str(ROOT / "tests"))
    from pg_harness import Server, start_server

    url = os.environ.get("COORD_BENCH_POSTGRES_URL")
    if url:
        yield PostgresBackend(Server(url))
        return
    server, cluster, reason = start_server()
    try:
        yield PostgresBackend(server) if server is not None else reason
    finally:
        if cluster is not None:
            cluster.stop()


@dataclass
class SizeResult:
    log: BenchLog
    figures: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, name: str, result: dict[str, Any]) -> None:
        self.figures.setdefault(name, []).append(result)

    def rate(self, name: str) -> float:
        """Median events per second of a task's runs."""
        return statistics.median(r["events"] / r["seconds"] for r in self.figures[name])

    def peak(self, name: str) -> float:
        return max(r["peak_mb"] for r in self.figures[name])


def measure(backend: Backend, log: BenchLog, runs: int, report_runs: int) -> SizeResult:
    """Every figure for one log size on one backend."""
    result = SizeResult(log)
    kept: dict[str, str] = {}

    def say(text: str) -> None:
        print(f"  [{backend.label} {log.size:,}] {text}", file=sys.stderr, flush=True)

    for run in range(runs):
        for task in ("import", "raw_import", "eventsourcing_import"):
            url = backend.fresh(f"{task}-{log.size}-{run}")
            say(f"{task} run {run + 1}/{runs}")
            result.add(task, run_task(task, url=url, file=str(log.base)))
            if task in kept:
                backend.drop(kept[task])
            kept[task] = url
    backend.drop(kept.pop("raw_import"))
    say("single commands")
    result.add("commands", run_task("commands", url=kept["import"], file=str(log.tail)))
    result.add(
        "eventsourcing_commands",
        run_task("eventsourcing_commands", url=kept["eventsourcing_import"], file=str(log.tail)),
    )
    backend.drop(kept.pop("eventsourcing_import"))
    for run in range(runs):
        say(f"rebuild run {run + 1}/{runs}")
        result.add("rebuild", run_task("rebuild", url=kept["import"]))
        result.add("read_ceiling", run_task("read_ceiling", url=kept["import"]))
    say("reports")
    result.add(
        "reports", run_task("reports", url=kept["import"], periods=PERIODS, runs=report_runs)
    )
    backend.drop(kept.pop("import"))
    return result


@dataclass(frozen=True, slots=True)
class HistoryLog:
    """One log of the history curve: ``years`` of the same network."""

    years: int
    path: Path
    events: int


@dataclass
class HistoryResult:
    log: HistoryLog
    #: report (and ``gaps``) -> period label (``month``, ``year``) -> median ms
    ms: dict[str, dict[str, float]]
    import_seconds: float


def history_log(years: int, cache: Path) -> HistoryLog:
    path = history_generated(years, cache)
    with path.open("rb") as source:
        events = sum(1 for _ in source)
    return HistoryLog(years, path, events)


#: rounds of report timings on the history logs, taken in turn (forwards, then backwards)
#: so that the machine's load falls on every length alike
HISTORY_ROUNDS = 5


def measure_history(
    backend: Backend, logs: list[HistoryLog], report_runs: int
) -> list[HistoryResult]:
    """Each log imported whole once (into a database of its own, settled as
    :meth:`Backend.settle` says, kept until every length is timed), then each report over
    the latest month and year: the median of ``HISTORY_ROUNDS`` rounds' medians, the
    lengths taken in turn in every round."""
    if not logs:
        return []
    urls: dict[int, str] = {}
    seconds: dict[int, float] = {}
    rounds: dict[int, list[dict[str, dict[str, float]]]] = {log.years: [] for log in logs}
    try:
        for log in logs:
            print(f"  [{backend.label} history {log.years}y] import", file=sys.stderr, flush=True)
            urls[log.years] = backend.fresh(f"history-{log.years}y")
            seconds[log.years] = run_task("import", url=urls[log.years], file=str(log.path))[
                "seconds"
            ]
            backend.settle(urls[log.years])
        for number in range(HISTORY_ROUNDS):
            print(f"  [{backend.label} history] reports, round {number + 1}/{HISTORY_ROUNDS}",
                  file=sys.stderr, flush=True)  # fmt: skip
            for log in logs if number % 2 == 0 else logs[::-1]:
                periods = history_periods(log.years)
                timed = run_task("reports", url=urls[log.years], periods=periods, runs=report_runs)
                rounds[log.years].append(timed["ms"])
    finally:
        for url in urls.values():
            backend.drop(url)
    return [HistoryResult(log, median_of(rounds[log.years]), seconds[log.years]) for log in logs]


def median_of(rounds: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Each figure's median over the rounds."""
    return {
        period: {name: statistics.median(r[period][name] for r in rounds) for name in figures}
        for period, figures in rounds[0].items()
    }


def parse_history(text: str) -> list[int]:
    """``--history``: comma-separated whole years, ascending and distinct ("" for none)."""
    if not text.strip() or text.strip() == "none":
        return []
    years = sorted({int(y) for y in text.split(",")})
    if years[0] < 1:
        raise SystemExit("--history: years are whole numbers from 1")
    return years


# --- the table ---------------------------------------------------------------------------


def _latency(result: SizeResult, name: str) -> tuple[float, float, float]:
    """(p50 ms, p99 ms, commands per second) of one single-command task."""
    latencies = sorted(result.figures[name][0]["latencies"])
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))] * 1000
    return p50, p99, len(latencies) / sum(latencies)


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


def table(backend: Backend, results: list[SizeResult], runs: int) -> str:
    postgres = isinstance(backend, PostgresBackend)
    raw = "psycopg COPY" if postgres else "sqlite3 executemany"
    p99_target = 10.0 if postgres else 5.0
    lines = [
        f"== {backend.version()}: medians of {runs} runs (sizes >= {LARGE:,}: 1 run); "
        "ratio = coord / baseline",
        f"{'events':>9}  {'measure':<30} {'coord':>14}  {'baseline':<34} {'ratio':>7}  "
        f"{'target':<10} met",
    ]

    def line(
        size: str, what: str, coord: str, baseline: str, ratio: str, target: str, met: str
    ) -> None:
        lines.append(
            f"{size:>9}  {what:<30} {coord:>14}  {baseline:<34} {ratio:>7}  {target:<10} {met}"
        )

    for r in results:
        size = f"{r.log.events:,}"
        imported = r.rate("import")
        raw_rate, es_rate = r.rate("raw_import"), r.rate("eventsourcing_import")
        line(size, "bulk import, events/s", f"{imported:,.0f}", f"{raw}: {raw_rate:,.0f}",
             f"{imported / raw_rate:.3f}x", ">= 0.33x", _met(imported >= 0.33 * raw_rate))  # fmt: skip
        line("", "", "", f"eventsourcing, 1,000/save: {es_rate:,.0f}", f"{imported / es_rate:.2f}x",
             ">= 2x", _met(imported >= 2 * es_rate))  # fmt: skip
        p50, p99, per_s = _latency(r, "commands")
        es50, es99, es_per_s = _latency(r, "eventsourcing_commands")
        count = len(r.figures["commands"][0]["latencies"])
        line("", "single command p50/p99, ms", f"{p50:.2f} / {p99:.2f}",
             f"eventsourcing: {es50:.2f} / {es99:.2f}", "", f"p99<={p99_target:g}ms",
             _met(p99 <= p99_target))  # fmt: skip
        line("", f"  commands/s ({count}, 1 per txn)", f"{per_s:,.0f}", f"eventsourcing: {es_per_s:,.0f}",
             f"{per_s / es_per_s:.2f}x", ">= 1x", _met(per_s >= es_per_s))  # fmt: skip
        rebuilt, ceiling = r.rate("rebuild"), r.rate("read_ceiling")
        line("", "rebuild, events/s", f"{rebuilt:,.0f}", f"raw SELECT + JSON decode: {ceiling:,.0f}",
             f"{rebuilt / ceiling:.3f}x", ">= 0.25x", _met(rebuilt >= 0.25 * ceiling))  # fmt: skip
        ms = r.figures["reports"][0]["ms"]
        for name in REPORT_NAMES:
            month, year = ms["month"][name], ms["year"][name]
            line("", f"{name}, ms (month / year)", f"{month:.1f} / {year:.1f}", "", "",
                 "<= 100ms", _met(max(month, year) <= 100))  # fmt: skip
        line("", "peak RSS, MB: import", f"{r.peak('import'):.0f}",
             f"raw {r.peak('raw_import'):.0f}, eventsourcing {r.peak('eventsourcing_import'):.0f}",
             "", "<= 500MB", _met(r.peak("import") <= 500))  # fmt: skip
        line("", "  rebuild", f"{r.peak('rebuild'):.0f}", f"read ceiling {r.peak('read_ceiling'):.0f}",
             "", "<= 500MB", _met(r.peak("rebuild") <= 500))  # fmt: skip
        line("", "  reports", f"{r.peak('reports'):.0f}", "", "", "", "")
        line("", "  single commands", f"{r.peak('commands'):.0f}",
             f"eventsourcing {r.peak('eventsourcing_commands'):.0f}", "", "", "")  # fmt: skip
    return "\n".join(lines)


def growth(backend: Backend, results: list[SizeResult]) -> str:
    """Report latency (ms) by log size: the cost-growth curve."""
    sizes = [r.log.events for r in results]
    lines = [f"== {backend.label}: report latency in ms by log size (month / year period)",
             f"{'report':<14}" + "".join(f"{s:>20,}" for s in sizes)]  # fmt: skip
    for name in REPORT_NAMES:
        cells = []
        for r in results:
            ms = r.figures["reports"][0]["ms"]
            cells.append(f"{ms['month'][name]:.1f} / {ms['year'][name]:.1f}")
        lines.append(f"{name:<14}" + "".join(f"{c:>20}" for c in cells))
    return "\n".join(lines)


def history_growth(backend: Backend, results: list[HistoryResult]) -> str:
    """Report latency (ms) by history length over the same latest month and year: flat
    when a period's report costs the same whatever lies before it. The last column is
    the longest history's latency over the shortest's (month / year)."""
    if not results:
        return ""
    periods = history_periods(results[0].log.years)
    month, year = periods["month"][0][:7], periods["year"]
    head = [f"{r.log.years} y, {r.log.events:,}" for r in results]
    lines = [
        f"== {backend.label}: report latency in ms by history length (the same network, "
        f"scale {HISTORY_SCALE:g}; month {month} / year {year[0]} to {year[1]})",
        f"{'report':<14}" + "".join(f"{h:>20}" for h in head) + f"{'longest/shortest':>20}",
    ]
    first, last = results[0].ms, results[-1].ms
    for name in REPORT_NAMES:
        cells = [f"{r.ms['month'][name]:.1f} / {r.ms['year'][name]:.1f}" for r in results]
        ratios = [last[p][name] / max(first[p][name], 0.01) for p in ("month", "year")]
        growth = f"{ratios[0]:.2f}x / {ratios[1]:.2f}x"
        lines.append(f"{name:<14}" + "".join(f"{c:>20}" for c in cells) + f"{growth:>20}")
    imports = "".join(f"{r.log.events / r.import_seconds:>20,.0f}" for r in results)
    lines.append(f"{'import, ev/s':<14}" + imports)
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{memory_kb / 1024 / 1024:.0f} GB RAM"
    except OSError:
        memory = "? RAM"
    return (f"machine: {os.cpu_count()} cores ({cpu}), {memory}; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", default="10000,100000",
                        help="comma-separated log sizes in events; with 1000000 the run takes "
                        "about 10 minutes for both databases, 14 with --history 1,3,9 (on "
                        "the project's idle 2-core machine; longer when it is shared)")  # fmt: skip
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="sqlite, postgresql or both"
    )
    parser.add_argument("--runs", type=int, default=3, help="repeated runs of import and rebuild")
    parser.add_argument("--report-runs", type=int, default=5, help="timed runs of each report")
    parser.add_argument("--commands", type=int, default=200, help="single commands timed")
    parser.add_argument("--history", default="1,3", type=parse_history,
                        help="comma-separated history lengths in years of the same network "
                        f"(scale {HISTORY_SCALE:g}, ~100k events a year), timed over the "
                        "latest month and year; 9 adds ~90 s per database; '' for none "
                        "(default: 1,3)")  # fmt: skip
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder keeping generated logs between runs (default: a temporary one)")  # fmt: skip
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    databases = [d.strip() for d in args.databases.split(",")]
    print(machine())
    with tempfile.TemporaryDirectory(prefix="coord-bench-") as folder:
        work = Path(folder)
        cache = args.cache or work
        cache.mkdir(parents=True, exist_ok=True)
        logs = []
        for size in sizes:
            print(f"  generating {size:,} events", file=sys.stderr, flush=True)
            logs.append(prepare(size, cache, work, args.commands))
        histories = []
        for years in args.history:
            print(f"  generating {years} years of history", file=sys.stderr, flush=True)
            histories.append(history_log(years, cache))
        for database in databases:
            with _backend(database, work) as backend:
                if isinstance(backend, str):
                    print(f"== {database}: skipped ({backend})")
                    continue
                results = []
                for log in logs:
                    runs = args.runs if log.size < LARGE else 1
                    results.append(measure(backend, log, runs, args.report_runs))
                if results:
                    print()
                    print(table(backend, results, args.runs))
                    print()
                    print(growth(backend, results))
                timed = measure_history(backend, histories, args.report_runs)
                if timed:
                    print()
                    print(history_growth(backend, timed))
                sys.stdout.flush()
        shutil.rmtree(work / "dbs", ignore_errors=True)


@contextmanager
def _backend(name: str, work: Path) -> Iterator[Backend | str]:
    if name == "sqlite":
        folder = work / "dbs"
        folder.mkdir(exist_ok=True)
        yield SqliteBackend(folder)
    elif name == "postgresql":
        with postgres_backend() as backend:
            yield backend
    else:
        raise SystemExit(f"unknown database {name!r}: use sqlite or postgresql")


if __name__ == "__main__":
    main()
