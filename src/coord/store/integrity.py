"""``coord verify``: recompute the hash chain and check the log's invariants.

Streams every row in position order (bounded memory, except one integer per stream) and
reports the first bad one: positions gap-free from 1, stream versions contiguous from 1,
``prev_hash`` linking each row to the one before, each ``hash`` recomputed from the row,
``recorded_at`` never decreasing along the global order.

The chain proves the log has not been changed *inside* itself; someone who can write to
the database can still rewrite history and recompute every hash after the change. Kept
outside the database (a ticket, an email, a printout), the head — position and hash —
catches that too: :func:`verify` with ``expect`` checks that the event at that position
still has that hash, so the history up to it is the one that was witnessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from coord.events import format_timestamp
from coord.store.chain import GENESIS_HASH, Head, row_hash
from coord.store.log import LogSession
from coord.store.rows import iter_rows

_HEX = frozenset("0123456789abcdef")


class InvalidHead(ValueError):
    """A head given as text that is not ``POSITION:HASH``."""


def parse_head(text: str) -> Head:
    """``POSITION:HASH`` (as printed by ``coord verify --head``) as a :class:`Head`."""
    position_text, colon, digest = text.strip().partition(":")
    digest = digest.lower()
    if (
        not colon
        or not (position_text.isascii() and position_text.isdigit())
        or int(position_text) < 1
    ):
        raise InvalidHead(
            f"{text!r} is not a head; give POSITION:HASH as printed by `coord verify --head`, "
            "e.g. 1200:3f5a...(64 hex digits)"
        )
    if len(digest) != 64 or not set(digest) <= _HEX:
        raise InvalidHead(f"{text!r}: the hash after the colon must be 64 hexadecimal digits")
    return Head(int(position_text), digest)


def format_head(head: Head) -> str:
    """The head as ``POSITION:HASH`` (what ``--expect-head`` takes back)."""
    return f"{head.position}:{head.hash}"


@dataclass(frozen=True, slots=True)
class Problem:
    """The first bad event: its 1-based global position, its id (None when the row at that
    position is missing) and what is wrong, in words."""

    position: int
    event_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class VerifyResult:
    events: int
    """How many rows were checked (up to the first problem)."""
    head: Head | None
    """The last good position and hash (the whole log's head when ok)."""
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        """One line for ``coord verify``: the head when ok, else the first bad event."""
        if self.problem is None:
            if self.head is None:
                return "ok: the log is empty"
            return (
                f"ok: {self.events} events, hash chain intact; "
                f"head position {self.head.position}, hash {self.head.hash}"
            )
        problem = self.problem
        which = f"event at position {problem.position}"
        if problem.event_id is not None:
            which += f" (event_id {problem.event_id})"
        return f"{which}: {problem.reason}"


def head(engine: Engine) -> Head | None:
    """The log's last position and hash, or None when it is empty."""
    with engine.connect() as connection:
        return LogSession(connection).head()


def verify(
    engine: Engine,
    batch_size: int = 1000,
    on_progress: Callable[[int], None] | None = None,
    expect: Head | None = None,
) -> VerifyResult:
    """Check the whole log; stop at the first problem. ``on_progress(n)`` is called as
    each batch of ``n`` events has been checked.

    With ``expect`` (a head kept outside the database), the event at ``expect.position``
    must have hash ``expect.hash``: a history rewritten up to there, even with every hash
    recomputed, then fails, as does a log cut short before that position.
    """
    checked = 0
    last: Head | None = None
    prev_hash = GENESIS_HASH
    prev_recorded: datetime | None = None
    versions: dict[str, int] = {}
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        for row in iter_rows(connection, 0, batch_size):
            expected = checked + 1
            if row.position != expected:
                gap = (
                    f"no event at position {expected}: the log jumps from position "
                    f"{expected - 1} to {row.position} (rows were deleted)"
                )
                return VerifyResult(checked, last, Problem(expected, None, gap))
            reason = _check(row, prev_hash, prev_recorded, versions)
            if reason is not None:
                return VerifyResult(checked, last, Problem(row.position, row.event_id, reason))
            if expect is not None and row.position == expect.position and row.hash != expect.hash:
                rewritten = (
                    f"its hash {row.hash} is not the expected head's {expect.hash}: the history "
                    f"up to position {expect.position} was rewritten since that head was taken"
                )
                return VerifyResult(checked, last, Problem(row.position, row.event_id, rewritten))
            checked += 1
            if on_progress is not None and checked % batch_size == 0:
                on_progress(batch_size)
            prev_hash, prev_recorded = row.hash, row.recorded_at
            versions[row.stream] = row.version
            last = Head(row.position, row.hash)
    if expect is not None and checked < expect.position:
        short = (
            f"the log ends at position {checked}, before the expected head at position "
            f"{expect.position}: events were removed since that head was taken"
        )
        return VerifyResult(checked, last, Problem(checked + 1, None, short))
    return VerifyResult(checked, last, None)


def _check(
    row: Any, prev_hash: str, prev_recorded: datetime | None, versions: dict[str, int]
) -> str | None:
    position: int = row.position
    if row.prev_hash != prev_hash:
        before = f"the hash of position {position - 1}" if position > 1 else "the genesis hash"
        return f"prev_hash does not match {before} (the chain is broken)"
    try:
        recomputed = row_hash(row, prev_hash)
    except (TypeError, ValueError) as error:
        return f"the row cannot be read back ({error})"
    if recomputed != row.hash:
        return "the stored hash does not match the event's content (the row was altered)"
    stream: str = row.stream
    version: int = row.version
    expected_version = versions.get(stream, 0) + 1
    if version != expected_version:
        return f"stream {stream} has version {version} where {expected_version} was expected"
    recorded: datetime = row.recorded_at
    if prev_recorded is not None and recorded < prev_recorded:
        return (
            f"recorded_at {format_timestamp(recorded)} is earlier than that of position "
            f"{position - 1} ({format_timestamp(prev_recorded)})"
        )
    return None
