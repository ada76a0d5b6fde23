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

from sqlalchemy import ColumnElement, and_, func, or_, select

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


def _where(column: BoardColumn, now: datetime, site: str | None) -> ColumnElement[bool]:
    unanswered = and_(_field("acknowledged_at").is_(None), _field("declined_at").is_(None))
    conditions: list[ColumnElement[bool]] = [read_models.c.kind == "handover"]
    if column is BoardColumn.awaiting:
        conditions += [unanswered, read_models.c.at >= now - OVERDUE_AFTER]
    elif column is BoardColumn.overdue:
        conditions += [unanswered, read_models.c.at < now - OVERDUE_AFTER]
    elif column is BoardColumn.declined:
        conditions.append(_field("declined_at").is_not(None))
    else:
        conditions += [
            _field("acknowledged_at").is_not(None),
            _field("completed_at").is_(None),
        ]
    if site is not None:
        conditions.append(or_(_field("from_site") == site, _field("to_site") == site))
    return and_(*conditions)


def board_counts(
    store: EventStore, now: datetime, *, site: str | None = None
) -> Mapping[BoardColumn, int]:
    """How many handovers each column holds at ``now`` (``site``: from or to that site)."""
    with store.reading() as reader:
        return {
            column: int(
                reader.connection.execute(
                    select(func.count()).select_from(read_models).where(_where(column, now, site))
                ).scalar_one()
            )
            for column in BoardColumn
        }


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
    where = _where(column, now, site)
    order: tuple[ColumnElement[Any], ...] = (read_models.c.at, read_models.c.owner)
    if column is BoardColumn.declined:
        # canonical UTC text ("...Z") sorts as time does
        order = (_field("declined_at").desc(), read_models.c.owner)
    with store.reading() as reader:
        rows = reader.connection.execute(
            select(read_models.c.payload).where(where).order_by(*order).limit(limit).offset(offset)
        )
        handovers = tuple(from_payload(Handover, row.payload) for row in rows)
        total = reader.connection.execute(
            select(func.count()).select_from(read_models).where(where)
        ).scalar_one()
    return BoardPage(column, handovers, int(total), offset)


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
