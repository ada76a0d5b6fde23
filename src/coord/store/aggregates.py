"""Report figures aggregated in SQL over the read models' figure columns.

A report's rows are computed from one tally per key value (:mod:`coord.reports`); here
the counts of a tally are summed in one ``GROUP BY`` query over the records of a period,
and the values a median needs are read as whole numbers. The
projections say which counts a report needs in a small vocabulary (:data:`Measure`), so
that no SQL lives above the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, select

from coord.store.schema import FIGURE_NAMES, read_models

#: A count over a group's records: ``("rows",)`` every record; ``("sum", c)`` the sum of
#: column ``c``; ``("present", c)`` records with ``c`` not null; ``("positive", c)`` with
#: ``c`` > 0; ``("at_most", c, n)`` with ``c`` ≤ n; ``("equals", c, v)`` with ``c`` = v;
#: ``("equal_columns", a, b)`` with a = b; ``("neither", a, b)`` with ``a`` null and
#: ``b`` = 0.
Measure = tuple[Any, ...]
#: The local months of a period: (the UTC instant each starts, its ``YYYY-MM``), ascending.
Months = Sequence[tuple[datetime, str]]

_MEETING_PREFIX = len("meeting:")


def _column(name: str) -> ColumnElement[Any]:
    if name not in FIGURE_NAMES:
        raise ValueError(f"no figure column {name!r}")
    column: ColumnElement[Any] = read_models.c[name]
    return column


def _one(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _measure(measure: Measure) -> ColumnElement[Any]:
    match measure:
        case ("rows",):
            return func.count()
        case ("sum", name):
            return func.coalesce(func.sum(_column(name)), 0)
        case ("present", name):
            return _one(_column(name).is_not(None))
        case ("positive", name):
            return _one(_column(name) > 0)
        case ("at_most", name, limit):
            return _one(_column(name) <= limit)
        case ("equals", name, value):
            return _one(_column(name) == value)
        case ("equal_columns", a, b):
            return _one(_column(a) == _column(b))
        case ("neither", a, b):
            return _one(and_(_column(a).is_(None), _column(b) == 0))
    raise ValueError(f"unknown measure {measure!r}")


def _key(key: str, months: Months) -> ColumnElement[Any]:
    """The row key of a record: a figure column, its meeting id, or its local month."""
    if key == "month":
        if not months:
            return literal("")
        whens = [
            (read_models.c.at < following, label) for (_, label), (following, _) in pairwise(months)
        ]
        return case(*whens, else_=literal(months[-1][1])) if whens else literal(months[0][1])
    if key == "meeting_id":
        return func.substr(read_models.c.owner, _MEETING_PREFIX + 1)
    return _column(key)


def _in_period(kind: str, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(read_models.c.kind == kind, read_models.c.at >= start, read_models.c.at < end)


def counts_by(
    connection: Connection,
    kind: str,
    start: datetime,
    end: datetime,
    key: str,
    months: Months,
    measures: Mapping[str, Measure],
) -> dict[str, dict[str, int]]:
    """For each key value among the records of ``kind`` whose ``at`` is in [start, end):
    each measure's count."""
    names = list(measures)
    key_column = _key(key, months).label("key")
    query = (
        select(key_column, *(_measure(measures[n]).label(n) for n in names))
        .where(_in_period(kind, start, end))
        .group_by(key_column)
    )
    return {
        str(row[0]): {name: int(value) for name, value in zip(names, row[1:], strict=True)}
        for row in connection.execute(query)
    }


def values_by(
    connection: Connection,
    kind: str,
    start: datetime,
    end: datetime,
    key: str,
    months: Months,
    column: str,
) -> dict[str, list[int]]:
    """For each key value: the non-null values of ``column`` among the records of
    ``kind`` whose ``at`` is in [start, end), in no particular order (sorting them here
    is cheaper than in SQLite's sorter or a window function)."""
    value = _column(column)
    query = select(_key(key, months), value).where(_in_period(kind, start, end), value.is_not(None))
    found: dict[str, list[int]] = {}
    for key_value, number in connection.execute(query):
        found.setdefault(str(key_value), []).append(int(number))
    return found


def steps_naming_meetings(
    connection: Connection, start: datetime, end: datetime
) -> dict[str, dict[str, int]]:
    """For each meeting scheduled in [start, end) that a listing, discussion or deferral
    names: ``listings``, ``ready_at_cutoff``, ``discussed`` and ``deferred``."""
    meetings = (
        select(func.substr(read_models.c.owner, _MEETING_PREFIX + 1))
        .where(_in_period("meeting", start, end))
        .scalar_subquery()
    )
    kind = read_models.c.kind
    query = (
        select(
            read_models.c.ref,
            _one(kind == "listing"),
            _one(and_(kind == "listing", read_models.c.ready_at_cutoff == 1)),
            _one(kind == "discussion"),
            _one(kind == "deferral"),
        )
        .where(kind.in_(("listing", "discussion", "deferral")), read_models.c.ref.in_(meetings))
        .group_by(read_models.c.ref)
    )
    names = ("listings", "ready_at_cutoff", "discussed", "deferred")
    return {
        str(row[0]): {name: int(v) for name, v in zip(names, row[1:], strict=True)}
        for row in connection.execute(query)
    }


def incomplete_discussions(
    connection: Connection,
    start: datetime,
    end: datetime,
    *,
    presenting_site: str | None = None,
    pathway: str | None = None,
) -> list[dict[str, Any]]:
    """Payloads of the discussions in [start, end) with a required item missing (fewer
    items available than required), of one presenting site and pathway when given."""
    conditions = [
        _in_period("discussion", start, end),
        read_models.c.available_items < read_models.c.required_items,
    ]
    if presenting_site is not None:
        conditions.append(read_models.c.presenting_site == presenting_site)
    if pathway is not None:
        conditions.append(read_models.c.pathway == pathway)
    rows = connection.execute(
        select(read_models.c.payload)
        .where(*conditions)
        .order_by(read_models.c.owner, read_models.c.seq)
    )
    return [row.payload for row in rows]
