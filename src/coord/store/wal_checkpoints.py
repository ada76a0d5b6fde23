"""Checkpointing a SQLite database's write-ahead log on a thread of its own, so that a
command's commit does not wait for it.

In WAL mode a commit appends the changed pages to the ``-wal`` file; a checkpoint copies
them back into the database file (and syncs it). By default the connection that commits
past 1,000 WAL pages runs that checkpoint itself, inside the command: with about 18 pages
a command then (13 since rows are updated in place), one command in ~55 took 15-43 ms
longer. SQLite's WAL documentation suggests turning the automatic checkpoints off and
running them "in a separate thread or process"; a ``PASSIVE`` checkpoint takes no lock
that a writer waits for, and the ``sqlite3`` module releases the GIL while SQLite works,
so it overlaps the next command.

:class:`WalCheckpointer` runs them on its thread (its own connection), after
:data:`COMMITS_PER_CHECKPOINT` commits, or once the writer has been idle for
:data:`IDLE_SECONDS`. The writer's own automatic checkpoint is not switched off but
raised to :data:`WAL_BOUND_PAGES`: if the thread falls behind, the writer checkpoints
as before, so the log cannot grow without bound. Every commit stays a full, durable
commit (``synchronous`` is untouched); a checkpoint only moves committed pages, and a
crash during one leaves a database that SQLite recovers from the WAL on its next open.

The thread's checkpoint alone never lets the WAL start over while commands come back to
back. SQLite writes a transaction's pages from the WAL's start again (a "restart") only
when the transaction begins with every frame already copied into the database file; but
the thread's checkpoint ends while the next command is already writing, so every commit
appended to a growing ``-wal`` file: 27 MB after 500 commands at 102k events, and an
``fdatasync`` that grows a file costs more than one that overwrites its pages (it also
commits the file system's journal). So once the thread's checkpoint has copied all it
saw, the writer finishes it after its next commit: a ``PASSIVE`` checkpoint of the one
to four commits that came meanwhile, on its own connection, before its next ``BEGIN``,
which then finds the WAL fully copied and starts it over. One command in about
:data:`COMMITS_PER_CHECKPOINT` pays that (its pages copied, one ``fsync`` of the database
file), the others overwrite the same 3 MB of WAL (500 commands: 9 restarts, none before).
The bench's 200 commands at 102k events, 28 alternating runs against the thread alone on
a machine at load 7-11 (medians): 116 -> 141 commands/s (22 of 28 pairs faster), p50 8.0
-> 6.2 ms, p99 20.1 -> 22.5 ms (the three commands that finish a checkpoint are among the
slowest); at 913k, 5 pairs: 102 -> 141 commands/s, p99 22.1 -> 20.2 ms.

The thread starts at the first commit and stops in :meth:`WalCheckpointer.close`, so
a short-lived process that closes its database leaves no thread behind.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

__all__ = [
    "CATCH_UP_COMMITS",
    "COMMITS_PER_CHECKPOINT",
    "IDLE_SECONDS",
    "WAL_BOUND_PAGES",
    "WalCheckpointer",
]

#: commits after which the thread checkpoints (a command writes about 13 pages: about
#: 650 pages between checkpoints; every 100 commits measured less throughput for the
#: same p99)
COMMITS_PER_CHECKPOINT = 50
#: the thread also checkpoints once no commit has come for this long (a terminal UI
#: records a command now and then: its WAL is kept short between them)
IDLE_SECONDS = 0.2
#: the writer finishes the thread's checkpoint (see the module) only if at most this many
#: commits came while it ran (one to four did at 102k events on a loaded machine); more,
#: and the thread has fallen behind: its next checkpoint is near, and a command would
#: wait for as long a copy as the one the thread spares it
CATCH_UP_COMMITS = 10
#: the writer's own automatic checkpoint (``PRAGMA wal_autocheckpoint``), in pages, while
#: the thread checkpoints: the most the WAL grows (about 40 MB) if the thread falls behind
WAL_BOUND_PAGES = 10_000
#: what a writer connection's ``info`` records once its bound is set
_BOUNDED = "coord_wal_bound"


class WalCheckpointer:
    """Checkpoints one SQLite file's WAL on a thread of its own; see the module."""

    def __init__(
        self,
        path: str,
        *,
        commits_per_checkpoint: int = COMMITS_PER_CHECKPOINT,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        self.path = path
        self._every = commits_per_checkpoint
        self._idle = idle_seconds
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending = 0  # commits not checkpointed yet
        self._closed = False
        self._thread: threading.Thread | None = None
        #: checkpoints run, and the last one's result (busy, WAL frames, frames
        #: checkpointed), as ``PRAGMA wal_checkpoint`` returns it
        self.checkpoints = 0
        self.last: tuple[int, int, int] | None = None
        #: a checkpoint due by its count of commits copied all it saw: the next commit
        #: finishes it, so that the WAL starts over (see the module)
        self._catch_up = False
        #: those the writer finished, and the last one's result
        self.caught_up = 0
        self.last_caught_up: tuple[int, int, int] | None = None

    def bound(self, dbapi_connection: Any, info: dict[Any, Any]) -> None:
        """Raise a writer connection's automatic checkpoint to :data:`WAL_BOUND_PAGES`
        (once per connection; ``info`` is the connection's own dictionary)."""
        if not info.get(_BOUNDED):
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(f"PRAGMA wal_autocheckpoint = {WAL_BOUND_PAGES}")
            finally:
                cursor.close()
            info[_BOUNDED] = True

    def committed(self, dbapi_connection: Any) -> None:
        """A write transaction committed on ``dbapi_connection`` (which holds none now):
        count it, start the thread if it is not running, and finish the thread's last
        checkpoint if it is due (see the module)."""
        with self._lock:
            if self._closed:
                return
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"coord WAL checkpoints {self.path}", daemon=True
                )
                self._thread.start()
            if self._pending >= self._every:
                self._wake.notify()
            catch_up = self._catch_up and self._pending <= CATCH_UP_COMMITS
            self._catch_up = False
        if catch_up:
            self._catch_up_on(dbapi_connection)

    def _catch_up_on(self, dbapi_connection: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            row = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            return  # committed all the same; the thread's next checkpoint copies it
        finally:
            cursor.close()
        with self._lock:
            self.caught_up += 1
            self.last_caught_up = _result(row)

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def close(self) -> None:
        """Stop the thread (after the checkpoint it is running, if any) and close its
        connection; commits after this are left to the writer's automatic checkpoint."""
        with self._lock:
            self._closed = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            while (counted := self._next()) is not None:
                self._checkpoint(connection, counted)
        finally:
            connection.close()

    def _next(self) -> bool | None:
        """Wait until a checkpoint is due: True when after :data:`COMMITS_PER_CHECKPOINT`
        commits, False when the writer has been idle, None once the checkpointer is
        closed."""
        with self._lock:
            while not self._closed:
                if self._pending >= self._every:
                    break
                seen = self._pending
                self._wake.wait(self._idle if seen else None)
                if not self._closed and seen and self._pending == seen:
                    break  # idle since the last commit
            if self._closed:
                return None
            counted = self._pending >= self._every
            self._pending = 0
            return counted

    def _checkpoint(self, connection: sqlite3.Connection, counted: bool) -> None:
        """Run a checkpoint; after one due by its count that copied the whole WAL it saw,
        have the writer finish it. (After an idle one, the next command's ``BEGIN``
        finds the WAL fully copied and starts it over by itself.)"""
        try:
            row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            return  # the writer's own automatic checkpoint still bounds the WAL
        result = _result(row)
        with self._lock:
            self.checkpoints += 1
            self.last = result
            if counted and result is not None and result[0] == 0 and result[1] == result[2]:
                self._catch_up = True


def _result(row: Any) -> tuple[int, int, int] | None:
    """``PRAGMA wal_checkpoint``'s row: (busy, WAL frames, frames checkpointed)."""
    return (int(row[0]), int(row[1]), int(row[2])) if row else None
