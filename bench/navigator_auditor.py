"""The navigator's and auditor's screens on a large database: time until the handover
board shows its rows, until a patient's timeline shows, until the auditor's first report
(completeness over twelve months) shows, and until a month's information gaps for one
site show — each the median of several runs, against the bare queries the screens run
(measured in the same process: compare ratios, the machine is shared).

python bench/navigator_auditor.py [--db /work/bench-data/1m.db] [--runs 5]

The database is copied to a temporary folder first; the app runs headless at 120x40.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from coord.app.auditing import AuditQuery, default_period, run_query
from coord.app.database import Database, open_database
from coord.app.handovers import BoardColumn, load_board
from coord.app.timeline import timeline_page
from coord.app.transfers import count_outstanding
from coord.events import Actor
from coord.tui.app import CoordApp
from coord.tui.workspace import Workspace

ACTOR = Actor(user="bench", role="navigator", site="S01")


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bare(action: Callable[[], object], runs: int) -> float:
    action()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    return median_ms(samples)


async def until_rows(pilot: Pilot[Any], selector: str) -> None:
    while True:
        await pilot.pause(0.005)
        tables = pilot.app.screen.query(selector)
        if tables and isinstance(table := tables.first(), DataTable) and table.row_count:
            return


def in_app(
    database: Database,
    now: datetime,
    mode: str,
    steps: Callable[[Pilot[Any]], Awaitable[float]],
) -> float:
    """Start the app in ``mode`` and return the seconds ``steps`` measures."""

    async def run() -> float:
        workspace = Workspace(database, ACTOR, clock=lambda: now)
        app = CoordApp(workspace, poll_seconds=0, mode=mode)
        async with app.run_test(size=(120, 40)) as pilot:
            return await steps(pilot)

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="/work/bench-data/1m.db")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coord-bench-") as folder:
        copy = Path(folder) / "bench.db"
        shutil.copyfile(args.db, copy)
        database = open_database(f"sqlite:///{copy}")
        with database.store.reading() as reader:
            last = reader.last_recorded_at()
        now = (last or datetime.now(UTC)) + timedelta(hours=1)
        store, zone = database.store, database.time_zone
        _, awaiting = load_board(store, BoardColumn.awaiting, now)
        _, overdue = load_board(store, BoardColumn.overdue, now)
        patient = (awaiting.handovers or overdue.handovers)[0].patient_id
        period = default_period(now, zone)
        local = now.astimezone(zone).date()
        month = (date(local.year, local.month, 1) - timedelta(days=1)).replace(day=1)
        month_end = date(local.year, local.month, 1)
        gaps = AuditQuery("gaps", month, month_end, site="S01")
        first_report = AuditQuery("completeness", period.from_date, period.to_date)

        async def board(pilot: Pilot[Any]) -> float:
            began = time.perf_counter()
            await until_rows(pilot, "#table-awaiting")
            return time.perf_counter() - began

        async def timeline(pilot: Pilot[Any]) -> float:
            await until_rows(pilot, "#table-awaiting")
            began = time.perf_counter()
            await pilot.press("t")
            await until_rows(pilot, "#timeline")
            return time.perf_counter() - began

        async def report(pilot: Pilot[Any]) -> float:
            began = time.perf_counter()
            await until_rows(pilot, "#auditor-table")
            return time.perf_counter() - began

        async def month_gaps(pilot: Pilot[Any]) -> float:
            await until_rows(pilot, "#auditor-table")
            screen = pilot.app.screen
            screen.query_one("#view").value = "gaps"  # type: ignore[attr-defined]
            await pilot.pause(0.05)
            await pilot.app.workers.wait_for_complete()
            screen.query_one("#from", Input).value = month.isoformat()
            screen.query_one("#to", Input).value = month_end.isoformat()
            screen.query_one("#site", Input).value = "S01"
            screen.query_one("#site", Input).focus()
            began = time.perf_counter()
            await pilot.press("enter")
            while getattr(screen, "running", None) is not None or screen.result is None:  # type: ignore[attr-defined]
                await pilot.pause(0.005)
            return time.perf_counter() - began

        figures = [
            (
                "handover board shows (app start)",
                board,
                "navigator",
                lambda: (load_board(store, BoardColumn.awaiting, now), count_outstanding(store)),
            ),
            (
                "a patient's timeline opens",
                timeline,
                "navigator",
                lambda: timeline_page(store, patient),
            ),
            (
                "auditor's first report shows",
                report,
                "auditor",
                lambda: run_query(store, zone, first_report),
            ),
            (
                "a month's gaps for one site",
                month_gaps,
                "auditor",
                lambda: run_query(store, zone, gaps),
            ),
        ]
        print(f"database {args.db}, clock {now:%Y-%m-%d %H:%M}Z, {args.runs} runs, 120x40")
        for label, steps, mode, query in figures:
            screen_ms = median_ms([in_app(database, now, mode, steps) for _ in range(args.runs)])
            query_ms = bare(query, args.runs)
            print(
                f"{label:34} {screen_ms:7.0f} ms   bare queries {query_ms:6.0f} ms   "
                f"ratio {screen_ms / max(query_ms, 0.001):5.1f}"
            )
        database.close()


if __name__ == "__main__":
    main()
