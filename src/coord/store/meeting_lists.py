"""Reading the meetings' read-model rows for the coordinator's lists: meetings of a
pathway before and after an instant (counted and paged in SQL), how many cases each
meeting has listed, ready at cutoff, discussed and deferred, and which cases a
discussion or deferral row names.

Returns the rows' payloads (plain dicts); turning them into records is the caller's.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, func, select, true
from sqlalchemy import case as sql_case

from coord.store.schema import read_models


@dataclass(frozen=True, slots=True)
class CaseCounts:
    """The cases a meeting's read-model rows name: listed (and of those, ready at the
    cutoff), discussed and deferred."""

    listed: int = 0
    ready_at_cutoff: int = 0
    discussed: int = 0
    deferred: int = 0


def _meetings(pathway: str | None) -> ColumnElement[bool]:
    condition = read_models.c.kind == "meeting"
    if pathway:
        condition = and_(condition, read_models.c.payload["pathway"].as_string() == pathway)
    return condition


def _payloads(connection: Connection, query: Select[Any]) -> list[dict[str, Any]]:
    return [row.payload for row in connection.execute(query)]


def count_meetings(
    connection: Connection, *, pathway: str | None, now: datetime
) -> tuple[int, int]:
    """How many meetings (of ``pathway``, when given) are scheduled at or after ``now``,
    and how many before it."""
    where = _meetings(pathway)
    upcoming = connection.execute(
        select(func.count()).select_from(read_models).where(where, read_models.c.at >= now)
    ).scalar_one()
    past = connection.execute(
        select(func.count()).select_from(read_models).where(where, read_models.c.at < now)
    ).scalar_one()
    return int(upcoming), int(past)


def upcoming_meeting_payloads(
    connection: Connection, *, pathway: str | None, now: datetime, offset: int, limit: int
) -> list[dict[str, Any]]:
    """Meetings scheduled at or after ``now``, the soonest first."""
    return _payloads(
        connection,
        select(read_models.c.payload)
        .where(_meetings(pathway), read_models.c.at >= now)
        .order_by(read_models.c.at, read_models.c.owner)
        .offset(offset)
        .limit(limit),
    )


def past_meeting_payloads(
    connection: Connection, *, pathway: str | None, now: datetime, offset: int, limit: int
) -> list[dict[str, Any]]:
    """Meetings scheduled before ``now``, the most recent first."""
    return _payloads(
        connection,
        select(read_models.c.payload)
        .where(_meetings(pathway), read_models.c.at < now)
        .order_by(read_models.c.at.desc(), read_models.c.owner)
        .offset(offset)
        .limit(limit),
    )


def meeting_payloads_after(
    connection: Connection, *, pathway: str, after: datetime, limit: int
) -> list[dict[str, Any]]:
    """The next ``limit`` meetings of ``pathway`` scheduled strictly after ``after``."""
    return _payloads(
        connection,
        select(read_models.c.payload)
        .where(_meetings(pathway), read_models.c.at > after)
        .order_by(read_models.c.at, read_models.c.owner)
        .limit(limit),
    )


def case_counts(connection: Connection, meeting_ids: Collection[str]) -> dict[str, CaseCounts]:
    """Each meeting's :class:`CaseCounts` (meetings without rows are left out), counted in
    SQL over the listing, discussion and deferral rows naming the meetings."""
    ids = sorted(set(meeting_ids))
    if not ids:
        return {}
    ready = read_models.c.payload["ready_at_cutoff"].as_boolean()
    rows = connection.execute(
        select(
            read_models.c.kind,
            read_models.c.ref,
            func.count(),
            func.sum(sql_case((ready == true(), 1), else_=0)),
        )
        .where(
            read_models.c.kind.in_(("listing", "discussion", "deferral")),
            read_models.c.ref.in_(ids),
        )
        .group_by(read_models.c.kind, read_models.c.ref)
    )
    found: dict[str, dict[str, int]] = {}
    for kind, ref, count, ready_count in rows:
        counts = found.setdefault(ref, {})
        if kind == "listing":
            counts["listed"] = int(count)
            counts["ready_at_cutoff"] = int(ready_count or 0)
        else:
            counts["discussed" if kind == "discussion" else "deferred"] = int(count)
    return {ref: CaseCounts(**counts) for ref, counts in found.items()}


def cases_naming(connection: Connection, kind: str, meeting_id: str) -> set[str]:
    """The case ids with a ``kind`` row (discussion, deferral) naming the meeting: their
    owners only, no payload decoded."""
    rows = connection.execute(
        select(read_models.c.owner).where(
            read_models.c.kind == kind, read_models.c.ref == meeting_id
        )
    )
    return {row.owner.removeprefix("case:") for row in rows}
