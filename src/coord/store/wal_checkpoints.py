"""Checkpointing a SQLite database's write-ahead log on a thread of its own, so that a
command's commit does not wait for it.

In WAL mode a commit appends the changed pages to the ``-wal`` file; a checkpoint copies
them back into the database file (and syncs it). By default the connection that commits
past 1,000 WAL pages runs that checkpoint itself, inside the command: with about 18 pages
a command, one command in ~55 took 15-43 ms longer. SQLite's WAL documentation suggests
turning the automatic checkpoints off and running them "in a separate thread or
process"; a ``PASSIVE`` checkpoint takes no lock that a writer waits for, and the
``sqlite3`` module releases the GIL while SQLite works, so it overlaps the next command.

:class:`WalCheckpointer` runs them on its thread (its own connection), after
:data:`COMMITS_PER_CHECKPOINT` commits, or once the writer has been idle for
:data:`IDLE_SECONDS`. The writer's own automatic checkpoint is not switched off but
raised to :data:`WAL_BOUND_PAGES`: if the thread falls behind, the writer checkpoints
as before, so the log cannot grow without bound. Every commit stays a full, durable
commit (``synchronous`` is untouched); a checkpoint only moves committed pages, and a
crash during one leaves a database that SQLite recovers from the WAL on its next open.

The thread starts at the first commit and stops in :meth:`WalCheckpointer.close`, so
a short-lived process that closes its database leaves no thread behind.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

__all__ = [
    "COMMITS_PER_CHECKPOINT",
    "IDLE_SECONDS",
    "WAL_BOUND_PAGES",
    "WalCheckpointer",
]

#: commits after which the thread checkpoints (a command writes about 18 pages: about
#: SQLite's default 1,000 pages between checkpoints)
COMMITS_PER_CHECKPOINT = 50
#: the thread also checkpoints once no commit has come for this long (a terminal UI
#: records a command now and then: its WAL is kept short between them)
IDLE_SECONDS = 0.2
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

    def committed(self) -> None:
        """A write transaction committed: count it, and start the thread if it is not
        running."""
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
            while self._next():
                self._checkpoint(connection)
        finally:
            connection.close()

    def _next(self) -> bool:
        """Wait until a checkpoint is due (True) or the checkpointer is closed (False)."""
        with self._lock:
            while not self._closed:
                if self._pending >= self._every:
                    break
                seen = self._pending
                self._wake.wait(self._idle if seen else None)
                if not self._closed and seen and self._pending == seen:
                    break  # idle since the last commit
            if self._closed:
                return False
            self._pending = 0
            return True

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            return  # the writer's own automatic checkpoint still bounds the WAL
        self.checkpoints += 1
        self.last = (int(row[0]), int(row[1]), int(row[2])) if row else None
