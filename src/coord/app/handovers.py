"""The patient navigator's handover board: handovers awaiting acknowledgement, overdue
(unacknowledged for more than 48 hours), declined, and acknowledged but not completed.

Read from the handover read model (one row per handover, kept in every append
transaction), filtered, counted and paged in SQL: the board never loads every handover.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select

from coord.projections.codec import from_payload
from coord.reports.records import Handover
from coord.store.log import EventStore
from coord.store.schema import read_models

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


def _field(name: str) -> ColumnElement[Any]:
    value: ColumnElement[Any] = read_models.c.payload[name].as_string()
    return value


def _status(column: BoardColumn, now: datetime) -> ColumnElement[bool]:
    """Whether a handover row is in ``column`` at ``now``."""
    unanswered = and_(_field("acknowledged_at").is_(None), _field("declined_at").is_(None))
    if column is BoardColumn.awaiting:
        return and_(unanswered, read_models.c.at >= now - OVERDUE_AFTER)
    if column is BoardColumn.overdue:
        return and_(unanswered, read_models.c.at < now - OVERDUE_AFTER)
    if column is BoardColumn.declined:
        return _field("declined_at").is_not(None)
    return and_(_field("acknowledged_at").is_not(None), _field("completed_at").is_(None))


def _handovers(site: str | None) -> ColumnElement[bool]:
    """The handover rows (from or to ``site``, when given)."""
    if site is None:
        return read_models.c.kind == "handover"
    return and_(
        read_models.c.kind == "handover",
        or_(_field("from_site") == site, _field("to_site") == site),
    )


def _counts(connection: Connection, now: datetime, site: str | None) -> dict[BoardColumn, int]:
    """Every column's count in one pass over the handover rows."""
    columns = list(BoardColumn)
    row = connection.execute(
        select(
            *(func.coalesce(func.sum(case((_status(c, now), 1), else_=0)), 0) for c in columns)
        ).where(_handovers(site))
    ).one()
    return {column: int(value) for column, value in zip(columns, row, strict=True)}


def board_counts(
    store: EventStore, now: datetime, *, site: str | None = None
) -> Mapping[BoardColumn, int]:
    """How many handovers each column holds at ``now`` (``site``: from or to that site)."""
    with store.reading() as reader:
        return _counts(reader.connection, now, site)


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
    order: tuple[ColumnElement[Any], ...] = (read_models.c.at, read_models.c.owner)
    if column is BoardColumn.declined:
        # canonical UTC text ("...Z") sorts as time does
        order = (_field("declined_at").desc(), read_models.c.owner)
    with store.reading() as reader:
        counts = _counts(reader.connection, now, site)
        rows = reader.connection.execute(
            select(read_models.c.payload)
            .where(_handovers(site), _status(column, now))
            .order_by(*order)
            .limit(limit)
            .offset(offset)
        )
        handovers = tuple(from_payload(Handover, row.payload) for row in rows)
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
