"""Fixtures for the terminal UI: a workspace over a real database (SQLite and PostgreSQL
via ``db_url``) loaded with the sample network, a pinned clock, and an app factory.

The sample network's activity runs through December 2024; the pinned clock,
2024-12-16 09:00 UTC, leaves four meetings upcoming (PROS-2024-12-17, BLAD-2024-12-18,
KIDN-2024-12-19, OGST-2024-12-20).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable
from textual.worker import WorkerCancelled, WorkerState

from coord.app.database import Database, initialise, open_database
from coord.app.importing import import_files
from coord.events import Actor, Event, EventData
from coord.store.log import EventStore
from coord.tui.app import CoordApp
from coord.tui.workspace import Workspace

SAMPLE = Path(__file__).parents[2] / "fixtures" / "sample-network.jsonl"
NOW = datetime(2024, 12, 16, 9, 0, tzinfo=UTC)
ACTOR = Actor(user="alex.coordinator", role="mdt_coordinator", site="S01")
SIZE = (120, 40)


@dataclass
class Clock:
    """A settable clock (tests move it; wall-clock time never reaches a screen)."""

    at: datetime = field(default=NOW)

    def __call__(self) -> datetime:
        return self.at


def load_sample(url: str) -> Database:
    database = initialise(url)
    import_files(database.store, [SAMPLE], on_rejection=_fail)
    return database


def _fail(rejection: object) -> None:
    raise AssertionError(f"the sample network has an invalid line: {rejection}")


@pytest.fixture(scope="session")
def sample_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample network imported once into a SQLite file (copied for each test)."""
    path = tmp_path_factory.mktemp("sample") / "sample.db"
    load_sample(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def sample_url(db_url: str, sample_sqlite: Path, tmp_path: Path) -> str:
    """A database holding the sample network, on each backend."""
    if db_url.startswith("sqlite"):
        copy = tmp_path / "tui.db"
        shutil.copyfile(sample_sqlite, copy)
        return f"sqlite:///{copy}"
    load_sample(db_url).close()
    return db_url


@pytest.fixture
def sqlite_sample_url(sample_sqlite: Path, tmp_path: Path) -> str:
    """The sample network in a SQLite file (for tests that need only one backend)."""
    copy = tmp_path / "tui.db"
    shutil.copyfile(sample_sqlite, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _workspace(url: str, clock: Clock) -> Iterator[Workspace]:
    database = open_database(url)
    try:
        yield Workspace(database, ACTOR, clock=clock)
    finally:
        database.close()


@pytest.fixture
def workspace(sample_url: str, clock: Clock) -> Iterator[Workspace]:
    """A workspace on the sample network (SQLite and PostgreSQL), recording as ACTOR."""
    yield from _workspace(sample_url, clock)


@pytest.fixture
def sqlite_workspace(sqlite_sample_url: str, clock: Clock) -> Iterator[Workspace]:
    yield from _workspace(sqlite_sample_url, clock)


AppFactory = Callable[..., CoordApp]


@pytest.fixture
def make_app() -> AppFactory:
    """Builds the app as ``coord tui`` does; polling off unless asked for."""

    def make(
        workspace: Workspace, *, mode: str = "coordinator", poll_seconds: float = 0
    ) -> CoordApp:
        return CoordApp(workspace, poll_seconds=poll_seconds, mode=mode)

    return make


def events_since(store: EventStore, position: int) -> list[Event]:
    """The events appended after ``position`` (what a workflow wrote)."""
    with store.reading() as reader:
        return [s.event for s in reader.read_all(after_position=position)]


def record_all(workspace: Workspace, *items: tuple[EventData, datetime]) -> None:
    """Record scenario events through the workspace (the same path as the forms)."""
    for data, at in items:
        workspace.record(data, occurred_at=at)


_UNFINISHED = (WorkerState.PENDING, WorkerState.RUNNING)


async def workers_done(app: App[None]) -> None:
    """Wait for every worker running now. A worker cancelled meanwhile is not a failure:
    an exclusive worker (the head poll, a screen's reload) is cancelled when its next run
    starts, and that run is waited for on the next pass; a worker's error still raises."""
    for worker in list(app.workers):
        try:
            await worker.wait()
        except WorkerCancelled:
            continue


async def settle(pilot: Pilot[None]) -> None:
    """Let workers (database reads, checks, saves) finish and the screen catch up,
    including each DataTable's column widths (measured when the table is next idle, so a
    snapshot taken earlier would show rows squeezed into the headers' widths)."""
    # until two passes in a row find no worker to wait for: a worker's result may start
    # another (a screen's reload, a chart after its table, the poll's next read)
    quiet = 0
    for _ in range(50):
        busy = any(worker.state in _UNFINISHED for worker in pilot.app.workers)
        await workers_done(pilot.app)
        await pilot.pause()
        quiet = 0 if busy else quiet + 1
        if quiet >= 2:
            break
    for _ in range(100):
        tables = [t for screen in pilot.app.screen_stack for t in screen.query(DataTable)]
        if not any(t._require_update_dimensions or t._updated_cells for t in tables):
            break
        await pilot.pause(0.02)


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text)


@pytest.fixture
def pinned_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Snapshots: a fixed locale (the clock is pinned by the workspace, the size by each
    test, the Textual version by pyproject)."""
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("TZ", "UTC")
