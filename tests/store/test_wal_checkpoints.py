"""A SQLite database's write-ahead log checkpointed on a thread of its own: the commits'
pages reach the database file without a command waiting for it, the writer's own
automatic checkpoint stays as a bound, closing stops the thread, and a process killed
while it records leaves a database that verifies, its read models at the log's head."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from store_helpers import at, site

from coord.app.database import initialise, open_database
from coord.store import EventStore, create_engine_for, upgrade, verify
from coord.store.wal_checkpoints import CATCH_UP_COMMITS, WAL_BOUND_PAGES, WalCheckpointer


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("coord WAL checkpoints")]


def _wait_for(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.01)


@contextmanager
def _checkpointed(path: Path, **options: float) -> Iterator[tuple[EventStore, WalCheckpointer]]:
    """A store of a new database at ``path`` and its checkpointer (``options``: when its
    thread checkpoints); closed and its engine disposed after."""
    engine = create_engine_for(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # its last connection closed: the schema is in the file
    store = EventStore(engine, wal_checkpoints=True)
    assert store.wal_checkpointer is not None
    # tests choose when the thread checkpoints
    checkpointer = WalCheckpointer(str(path), **options)  # type: ignore[arg-type]
    store.wal_checkpointer = checkpointer
    try:
        yield store, checkpointer
    finally:
        store.close()
        engine.dispose()


def _append_sites(store: EventStore, first: int, count: int) -> None:
    for n in range(first, first + count):
        with store.writing() as writer:
            writer.append([site(f"S{n:03d}", recorded=at(n))])


def _stored_in_file(path: Path, copy: Path) -> int:
    """The events in the database file itself, its WAL left out."""
    shutil.copy(path, copy)
    with sqlite3.connect(copy) as connection:
        (count,) = connection.execute("SELECT count(*) FROM events").fetchone()
    return int(count)


def test_the_thread_checkpoints_the_commits_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "coord.db"
    with _checkpointed(path, commits_per_checkpoint=5, idle_seconds=60) as (store, checkpointer):
        _append_sites(store, 0, 4)
        time.sleep(0.1)
        assert checkpointer.checkpoints == 0  # not due yet (and the writer's bound is far)
        assert _stored_in_file(path, tmp_path / "before.db") == 0
        _append_sites(store, 4, 1)
        _wait_for(lambda: checkpointer.checkpoints == 1)
        assert checkpointer.last is not None
        busy, frames, copied = checkpointer.last
        assert busy == 0 and frames > 0 and copied == frames
        assert _stored_in_file(path, tmp_path / "after.db") == 5
    assert not checkpointer.running


def _wal_restarts(path: Path) -> int:
    """How many times the WAL has started over: its header's checkpoint sequence number,
    which SQLite raises by one at each restart."""
    with open(f"{path}-wal", "rb") as wal:
        header = wal.read(16)
    return int.from_bytes(header[12:16], "big")


def test_the_writer_finishes_the_thread_s_checkpoint_so_the_wal_starts_over(
    tmp_path: Path,
) -> None:
    """A command that began while the thread checkpointed writes after the frames it
    copied; the writer copies that command's own frames once it commits, so that the next
    command finds the WAL fully copied and writes it from its start again, rather than
    growing the file (whose ``fdatasync`` costs more than one that overwrites)."""
    path = tmp_path / "coord.db"
    with _checkpointed(path, commits_per_checkpoint=5, idle_seconds=60) as (store, checkpointer):
        _append_sites(store, 0, 5)  # the fifth wakes the thread
        with store.writing() as writer:  # begun before or while it checkpoints
            _wait_for(lambda: checkpointer.checkpoints == 1)
            writer.append([site("S005", recorded=at(5))])
        assert checkpointer.last is not None
        busy, frames, copied = checkpointer.last
        assert busy == 0 and copied == frames  # all the thread saw: the five commits
        assert checkpointer.caught_up == 1
        assert checkpointer.last_caught_up is not None
        busy, frames, copied = checkpointer.last_caught_up
        assert busy == 0 and copied == frames
        restarts = _wal_restarts(path)
        _append_sites(store, 6, 1)
        assert _wal_restarts(path) == restarts + 1
        assert _stored_in_file(path, tmp_path / "copy.db") == 6


def test_back_to_back_commits_keep_the_wal_file_short(tmp_path: Path) -> None:
    """120 commits one after another, checkpointed every 5: the WAL file holds about a
    cycle's commits, not all 120 (without restarts it grew by every commit's pages)."""
    path = tmp_path / "coord.db"
    with _checkpointed(path, commits_per_checkpoint=5, idle_seconds=60) as (store, checkpointer):
        _append_sites(store, 0, 1)
        one = Path(f"{path}-wal").stat().st_size  # the header and a commit's frames
        _append_sites(store, 1, 119)
        assert checkpointer.caught_up > 0
        assert _wal_restarts(path) > 0
        # about 7 times its first size with the writer finishing the checkpoints, about 78
        # times without
        assert Path(f"{path}-wal").stat().st_size < 20 * one


@pytest.mark.parametrize(
    ("meanwhile", "caught_up"), [(CATCH_UP_COMMITS - 1, 1), (CATCH_UP_COMMITS, 0)]
)
def test_the_writer_finishes_a_checkpoint_only_if_few_commits_came_while_it_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, meanwhile: int, caught_up: int
) -> None:
    """More than CATCH_UP_COMMITS commits (the next one counted) while the thread
    checkpointed: it has fallen behind, and a command does not wait for the copy of all
    their pages (the thread's next checkpoint is near)."""
    path = tmp_path / "coord.db"
    every = CATCH_UP_COMMITS + 5
    with _checkpointed(path, commits_per_checkpoint=every, idle_seconds=60) as (
        store,
        checkpointer,
    ):
        entered, release = threading.Event(), threading.Event()
        checkpoint = checkpointer._checkpoint

        def held_back(connection: sqlite3.Connection, counted: bool) -> None:
            entered.set()
            release.wait(10)
            checkpoint(connection, counted)

        monkeypatch.setattr(checkpointer, "_checkpoint", held_back)
        _append_sites(store, 0, every)  # the last wakes the thread
        assert entered.wait(10)
        _append_sites(store, every, meanwhile)
        release.set()
        _wait_for(lambda: checkpointer.checkpoints == 1)
        _append_sites(store, every + meanwhile, 1)
        assert checkpointer.caught_up == caught_up


def test_an_idle_writer_s_commits_are_checkpointed(tmp_path: Path) -> None:
    path = tmp_path / "coord.db"
    with _checkpointed(path, commits_per_checkpoint=1000, idle_seconds=0.05) as (
        store,
        checkpointer,
    ):
        _append_sites(store, 0, 1)
        _wait_for(lambda: checkpointer.checkpoints == 1)
        assert _stored_in_file(path, tmp_path / "copy.db") == 1


def test_the_writer_s_own_automatic_checkpoint_is_raised_to_the_bound(tmp_path: Path) -> None:
    path = tmp_path / "coord.db"
    with _checkpointed(path) as (store, _), store.writing() as writer:
        setting = writer.connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    assert setting == WAL_BOUND_PAGES
    plain = EventStore(create_engine_for(f"sqlite:///{path}"))
    try:
        with plain.writing() as writer:  # without the thread: SQLite's default
            setting = writer.connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert setting == 1000
    finally:
        plain.engine.dispose()


def test_closing_the_database_stops_the_thread(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'coord.db'}"
    initialise(url).close()
    before = set(_checkpoint_threads())
    database = open_database(url)
    assert database.store.wal_checkpointer is not None
    with database.store.writing() as writer:
        writer.append([site("S1", recorded=at(1))])
    assert database.store.wal_checkpointer.running
    database.close()
    assert set(_checkpoint_threads()) == before


def test_a_cli_process_leaves_no_thread_behind(tmp_path: Path) -> None:
    """``coord import`` commits (its thread started) and returns: at exit the process's
    only thread is the main one."""
    sample = Path(__file__).resolve().parents[2] / "fixtures" / "sample-network.jsonl"
    db = str(tmp_path / "c.db")
    script = (
        "import threading\n"
        "from typer.testing import CliRunner\n"
        "from coord.cli.main import app\n"
        "from coord.store import wal_checkpoints\n"
        "started = []\n"
        "start = wal_checkpoints.threading.Thread.start\n"
        "def noted(thread):\n"
        "    started.append(thread.name)\n"
        "    start(thread)\n"
        "wal_checkpoints.threading.Thread.start = noted\n"
        f"for args in (['init', '--db', {db!r}], ['import', '--db', {db!r}, {str(sample)!r}]):\n"
        "    result = CliRunner().invoke(app, args)\n"
        "    assert result.exit_code == 0, result.output\n"
        "print([n for n in started if n.startswith('coord WAL')] != [])\n"
        "print(sorted(t.name for t in threading.enumerate()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    *_, started, threads = done.stdout.strip().splitlines()
    assert started == "True"  # the import's commit started the thread
    assert threads == "['MainThread']"


def test_no_thread_for_postgresql(db_url: str) -> None:
    engine = create_engine_for(db_url)
    try:
        store = EventStore(engine, wal_checkpoints=True)
        expected = db_url.startswith("sqlite")
        assert (store.wal_checkpointer is not None) == expected
        store.close()
    finally:
        engine.dispose()


_RECORDER = """
import sys
from coord.app.database import open_database
from coord.store import wal_checkpoints
wal_checkpoints.COMMITS_PER_CHECKPOINT = 3
sys.path.insert(0, {helpers!r})
from store_helpers import at, site
database = open_database({url!r})
database.store.wal_checkpointer = wal_checkpoints.WalCheckpointer({path!r}, commits_per_checkpoint=3)
n = 0
while True:
    with database.store.writing() as writer:
        writer.append([site(f"S{{n:05d}}", recorded=at(n))])
    n += 1
    if n == 30:
        print("ready", flush=True)
"""


def test_a_process_killed_while_it_records_leaves_a_consistent_database(tmp_path: Path) -> None:
    path = tmp_path / "coord.db"
    url = f"sqlite:///{path}"
    initialise(url).close()
    script = _RECORDER.format(url=url, path=str(path), helpers=str(Path(__file__).parent))
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.stderr
        time.sleep(0.3)  # checkpoints running alongside the commits
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    database = open_database(url)
    try:
        result = verify(database.engine)
        assert result.ok, result
        assert result.events >= 30
        with database.engine.connect() as connection:
            position = connection.exec_driver_sql(
                "SELECT position FROM projection_checkpoints WHERE name = 'read_models'"
            ).scalar()
        assert position == result.events
    finally:
        database.close()
