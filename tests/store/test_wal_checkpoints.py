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
from coord.store.wal_checkpoints import WAL_BOUND_PAGES, WalCheckpointer


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
