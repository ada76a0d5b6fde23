"""Terminal UI responsiveness on a large database: time to first paint (the app started
on an opened database until the meetings list shows its rows) and time to open a
meeting (Enter on the list until its cases are shown), each the median of several runs,
against the targets of issue 5 (1 s and 300 ms) and a baseline measured in the same
process: the bare queries the screens run (meetings page, meeting detail).

Opening a meeting is measured twice: as a person does it (the cursor rests on the row
for half a second, while the list reads that meeting ahead, then Enter), and cold (the
meeting screen pushed with nothing read ahead: the query runs after it opens).

python bench/tui.py [--db /work/bench-data/1m.db] [--runs 5]

The database is copied to a temporary folder first (the UI can write); the app runs
headless at 120x40 (layout and rendering included, no terminal output).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from textual.widgets import DataTable

from coord.app.database import open_database
from coord.app.meetings import meeting_detail, meetings_page
from coord.events import Actor
from coord.tui.app import CoordApp
from coord.tui.coordinator import PAGE, MeetingsScreen
from coord.tui.coordinator_meeting import MeetingScreen
from coord.tui.workspace import Workspace

FIRST_PAINT_TARGET_MS = 1000
OPEN_MEETING_TARGET_MS = 300
#: seconds the cursor rests on the meeting before Enter (the list reads it ahead meanwhile)
REST = 0.5
ACTOR = Actor(user="bench", role="mdt_coordinator", site="S01")


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed_ms(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return (time.perf_counter() - began) * 1000


async def _wait(condition: Callable[[], bool], _: object = None) -> None:
    """Check every 5 ms, leaving the app's loop and workers alone in between."""
    while not condition():
        await asyncio.sleep(0.005)


async def _when(condition: Callable[[], bool]) -> float:
    """The perf_counter time at which ``condition`` was first seen true (checked every
    millisecond)."""
    while not condition():
        await asyncio.sleep(0.001)
    return time.perf_counter()


async def one_run(url: str, meeting_id: str | None) -> tuple[float, float, str, int]:
    """(first paint ms, open meeting ms, meeting opened, its cases)."""
    began = time.perf_counter()
    database = open_database(url)
    app = CoordApp(Workspace(database, ACTOR), poll_seconds=0)
    try:
        async with app.run_test(size=(120, 40)) as pilot:

            def pause() -> object:
                return pilot.pause(0.001)

            def meetings_shown() -> bool:
                screen = app.screen
                if not isinstance(screen, MeetingsScreen) or not screen.rows:
                    return False
                return screen.query_one("#meetings", DataTable).row_count > 0

            await _wait(meetings_shown, pause)
            first_paint = (time.perf_counter() - began) * 1000
            screen = app.screen
            assert isinstance(screen, MeetingsScreen)
            ids = [r.meeting.meeting_id for r in screen.rows]
            target = meeting_id if meeting_id in ids else None
            if target is None:  # the busiest meeting of the first page
                target = max(screen.rows, key=lambda r: r.listed).meeting.meeting_id
            screen.query_one("#meetings", DataTable).move_cursor(row=ids.index(target))
            await asyncio.sleep(REST)  # a person reads the row before pressing Enter

            def cases_shown() -> bool:
                shown = app.screen
                if not isinstance(shown, MeetingScreen) or shown.detail is None:
                    return False
                table = shown.query_one("#cases", DataTable)
                return table.row_count == len(shown.shown)

            # watch from a task of its own: Pilot.press returns only once the app is idle
            watcher = asyncio.create_task(_when(cases_shown))
            opened = time.perf_counter()
            await pilot.press("enter")
            open_ms = (await watcher - opened) * 1000
            shown = app.screen
            assert isinstance(shown, MeetingScreen) and shown.detail is not None
            return first_paint, open_ms, target, len(shown.detail.cases)
    finally:
        database.close()


async def open_directly(url: str, meeting_id: str) -> tuple[float, int]:
    """Open a named meeting (pushed on the list) and time until its cases are shown."""
    database = open_database(url)
    app = CoordApp(Workspace(database, ACTOR), poll_seconds=0)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            opened = time.perf_counter()
            app.push_screen(MeetingScreen(meeting_id))

            def cases_shown() -> bool:
                shown = app.screen
                return (
                    isinstance(shown, MeetingScreen)
                    and shown.detail is not None
                    and shown.query_one("#cases", DataTable).row_count == len(shown.shown)
                )

            await _wait(cases_shown, lambda: pilot.pause(0.001))
            shown = app.screen
            assert isinstance(shown, MeetingScreen) and shown.detail is not None
            return (time.perf_counter() - opened) * 1000, len(shown.detail.cases)
    finally:
        database.close()


def busiest_meeting(url: str) -> str:
    from sqlalchemy import func, select

    from coord.store.schema import read_models

    database = open_database(url)
    try:
        with database.store.reading() as reader:
            row = reader.connection.execute(
                select(read_models.c.ref, func.count().label("n"))
                .where(read_models.c.kind == "listing")
                .group_by(read_models.c.ref)
                .order_by(func.count().desc())
                .limit(1)
            ).one()
        return str(row.ref)
    finally:
        database.close()


def import_ms() -> float:
    """A fresh interpreter importing the UI (part of what `coord tui` pays at start)."""
    code = "import time; t=time.perf_counter(); import coord.tui.app; print((time.perf_counter()-t)*1000)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="/work/bench-data/1m.db", help="a SQLite coord database")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    source = Path(args.db)
    with tempfile.TemporaryDirectory(prefix="coord-bench-tui-") as folder:
        copy = Path(folder) / "bench.db"
        shutil.copyfile(source, copy)
        url = f"sqlite:///{copy}"
        database = open_database(url)
        with database.store.reading() as reader:
            count = reader.count()
        store, now = database.store, datetime.now(UTC)
        page_ms = median(
            [timed_ms(lambda: meetings_page(store, now=now, limit=PAGE)) for _ in range(args.runs)]
        )
        database.close()
        print(f"{source}: {count:,} events (copied to a temporary folder)")

        runs = [asyncio.run(one_run(url, None)) for _ in range(args.runs + 1)][1:]
        first_paint = median([r[0] for r in runs])
        open_ms = median([r[1] for r in runs])
        meeting_id, cases = runs[-1][2], runs[-1][3]

        database = open_database(url)
        detail_ms = median(
            [
                timed_ms(lambda: meeting_detail(database.store, meeting_id, now=now))
                for _ in range(args.runs)
            ]
        )
        biggest = busiest_meeting(url)
        big_detail_ms = median(
            [
                timed_ms(lambda: meeting_detail(database.store, biggest, now=now))
                for _ in range(args.runs)
            ]
        )
        database.close()
        big = [asyncio.run(open_directly(url, biggest)) for _ in range(args.runs)]
        big_ms, big_cases = median([b[0] for b in big]), big[-1][1]
        imports = median([import_ms() for _ in range(3)])

    def line(what: str, ms: float, target: float | None, baseline: float | None) -> str:
        text = f"  {what:<52} {ms:8.1f} ms"
        if target is not None:
            text += f"  target {target:5.0f} ms: {'met' if ms <= target else 'MISSED'}"
        if baseline is not None:
            text += f"  ({ms / baseline:.1f}x the bare query, {baseline:.1f} ms)"
        return text

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"median of {args.runs} runs, headless at 120x40 (load average {load}):")
    print(
        line(
            "first paint (open database -> meetings shown)",
            first_paint,
            FIRST_PAINT_TARGET_MS,
            page_ms,
        )
    )
    print(
        line(
            f"open a meeting ({meeting_id}, {cases} cases)",
            open_ms,
            OPEN_MEETING_TARGET_MS,
            detail_ms,
        )
    )
    print(
        line(
            f"open the busiest meeting ({biggest}, {big_cases} cases)",
            big_ms,
            OPEN_MEETING_TARGET_MS,
            big_detail_ms,
        )
    )
    print(line("import of the UI in a fresh interpreter", imports, None, None))


if __name__ == "__main__":
    main()
