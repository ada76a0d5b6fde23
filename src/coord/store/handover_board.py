"""Reading the handover read model (one row per handover) for the navigator's board:
each handover is awaiting acknowledgement, overdue, declined, or acknowledged but not
completed — counted and paged in SQL, never loading every handover.

What "overdue" means (how long a handover may wait) is the caller's: it passes the
instant before which an unanswered handover is overdue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select

from coord.store.readmodels import payload_text
from coord.store.schema import read_models

#: where a handover stands on the board
HandoverStanding = Literal["awaiting", "overdue", "declined", "unfinished"]
STANDINGS: tuple[HandoverStanding, ...] = get_args(HandoverStanding)


def _in(standing: HandoverStanding, overdue_before: datetime) -> ColumnElement[bool]:
    """Whether a handover row has ``standing``: awaiting and overdue are neither
    acknowledged nor declined, initiated at or after / before ``overdue_before``."""
    unanswered = and_(
        payload_text("acknowledged_at").is_(None), payload_text("declined_at").is_(None)
    )
    if standing == "awaiting":
        return and_(unanswered, read_models.c.at >= overdue_before)
    if standing == "overdue":
        return and_(unanswered, read_models.c.at < overdue_before)
    if standing == "declined":
        return payload_text("declined_at").is_not(None)
    return and_(
        payload_text("acknowledged_at").is_not(None), payload_text("completed_at").is_(None)
    )


def _handovers(site: str | None) -> ColumnElement[bool]:
    """The handover rows (from or to ``site``, when given)."""
    if site is None:
        return read_models.c.kind == "handover"
    return and_(
        read_models.c.kind == "handover",
        or_(payload_text("from_site") == site, payload_text("to_site") == site),
    )


def count_by_standing(
    connection: Connection, *, overdue_before: datetime, site: str | None = None
) -> dict[HandoverStanding, int]:
    """How many handovers (from or to ``site``, when given) have each standing, in one
    pass over the handover rows."""
    row = connection.execute(
        select(
            *(
                func.coalesce(func.sum(case((_in(s, overdue_before), 1), else_=0)), 0)
                for s in STANDINGS
            )
        ).where(_handovers(site))
    ).one()
    return {standing: int(value) for standing, value in zip(STANDINGS, row, strict=True)}


def handover_payloads(
    connection: Connection,
    standing: HandoverStanding,
    *,
    overdue_before: datetime,
    site: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """A page of the handovers with ``standing``, longest waiting first (declined: most
    recently declined first)."""
    order: tuple[ColumnElement[Any], ...] = (read_models.c.at, read_models.c.owner)
    if standing == "declined":
        # canonical UTC text ("...Z") sorts as time does
        order = (payload_text("declined_at").desc(), read_models.c.owner)
    rows = connection.execute(
        select(read_models.c.payload)
        .where(_handovers(site), _in(standing, overdue_before))
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    return [row.payload for row in rows]
