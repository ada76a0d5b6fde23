"""The patient navigator's handover board: handovers awaiting acknowledgement, overdue
(unacknowledged for more than 48 hours), declined, and acknowledged but not completed.

Read from the handover read model (one row per handover, kept in every append
transaction), filtered, counted and paged in SQL by :mod:`coord.store.handover_board`:
the board never loads every handover. How long a handover may wait unacknowledged is
decided here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from coord.projections.codec import from_payload
from coord.reports.records import Handover
from coord.store.handover_board import HandoverStanding, count_by_standing, handover_payloads
from coord.store.log import EventStore, LogSession

#: unacknowledged for longer than this, a handover is overdue (SPEC §6:
#: ``acknowledged_within_48h``)
OVERDUE_AFTER = timedelta(hours=48)


class BoardColumn(StrEnum):
    """A column of the handover board, in the navigator's words."""

    awaiting = "awaiting acknowledgement"
    overdue = "overdue (over 48 h)"
    declined = "declined"
    unfinished = "acknowledged, not completed"


@dataclass(frozen=True, slots=True)
class BoardPage:
    """One page of a board column: its handovers and how many the column holds."""

    column: BoardColumn
    handovers: tuple[Handover, ...]
    total: int
    offset: int


#: the standing of the handovers each column shows
STANDING: Mapping[BoardColumn, HandoverStanding] = {
    BoardColumn.awaiting: "awaiting",
    BoardColumn.overdue: "overdue",
    BoardColumn.declined: "declined",
    BoardColumn.unfinished: "unfinished",
}


def _counts(reader: LogSession, now: datetime, site: str | None) -> dict[BoardColumn, int]:
    """Every column's count at ``now``, in one pass over the handover rows."""
    counts = count_by_standing(reader.connection, overdue_before=now - OVERDUE_AFTER, site=site)
    return {column: counts[STANDING[column]] for column in BoardColumn}


def board_counts(
    store: EventStore, now: datetime, *, site: str | None = None
) -> Mapping[BoardColumn, int]:
    """How many handovers each column holds at ``now`` (``site``: from or to that site)."""
    with store.reading() as reader:
        return _counts(reader, now, site)


def board_page(
    store: EventStore,
    column: BoardColumn,
    now: datetime,
    *,
    site: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> BoardPage:
    """A page of one column, longest waiting first (declined: most recently declined
    first)."""
    return load_board(store, column, now, site=site, offset=offset, limit=limit)[1]


def load_board(
    store: EventStore,
    column: BoardColumn,
    now: datetime,
    *,
    site: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[Mapping[BoardColumn, int], BoardPage]:
    """Every column's count and a page of ``column``, from one snapshot."""
    with store.reading() as reader:
        counts = _counts(reader, now, site)
        payloads = handover_payloads(
            reader.connection,
            STANDING[column],
            overdue_before=now - OVERDUE_AFTER,
            site=site,
            offset=offset,
            limit=limit,
        )
    handovers = tuple(from_payload(Handover, p) for p in payloads)
    return counts, BoardPage(column, handovers, counts[column], offset)


def age(handover: Handover, now: datetime) -> timedelta:
    """How long ago the handover was initiated."""
    return now - handover.initiated_at


def describe_age(delta: timedelta) -> str:
    """A short age for a board: ``35 min``, ``7 h``, ``3 d 4 h``."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} d {hours % 24} h"
