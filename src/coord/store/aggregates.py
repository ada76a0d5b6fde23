"""Report figures aggregated in SQL over the read models' figure columns.

A report's rows are computed from one tally per key value (:mod:`coord.reports`); here
the counts of a tally are summed in one ``GROUP BY`` query over the records of a period,
which also collects, per key value, the whole numbers its percentiles read (one array
per group, not one row per record). The projections say which counts a report needs in
a small vocabulary (:data:`Measure`), so that no SQL lives above the store. The indexes
of ``read_models`` (:data:`coord.store.schema.READ_MODEL_INDEXES`) cover every column
read here but what the gaps query reads of the rows of its incomplete discussions and
of their cases' arrivals.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    and_,
    case,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

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
_CASE_PREFIX = len("case:")
_TRANSFER_PREFIX = len("transfer:")


def _column(name: str) -> ColumnElement[Any]:
    if name not in FIGURE_NAMES:
        raise ValueError(f"no figure column {name!r}")
    column: ColumnElement[Any] = read_models.c[name]
    return column


def _one(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """The number of the group's records meeting ``condition``."""
    return func.count().filter(condition)


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


@dataclass(frozen=True, slots=True)
class Group:
    """What one key value's records add up to: each measure's count, and the non-null
    values of the measured column in ascending order."""

    counts: dict[str, int]
    values: list[int]


def _values_array(connection: Connection, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """An aggregate of a group's non-null values of ``column`` as one array: PostgreSQL's
    ``array_agg`` (sorted by the server), SQLite's ``json_group_array`` (JSON text)."""
    if connection.dialect.name == "postgresql":
        return func.array_agg(aggregate_order_by(column, column)).filter(column.is_not(None))
    return func.json_group_array(column).filter(column.is_not(None))


def _ascending(array: Any) -> list[int]:
    """The values of a :func:`_values_array`, ascending (sorting an already sorted list
    only checks it)."""
    if array is None:  # array_agg of no rows
        return []
    values: list[int] = orjson.loads(array) if isinstance(array, str | bytes) else list(array)
    values.sort()
    return values


def groups_by(
    connection: Connection,
    kind: str,
    start: datetime,
    end: datetime,
    key: str,
    months: Months,
    measures: Mapping[str, Measure],
    values: str | None = None,
) -> dict[str, Group]:
    """For each key value among the records of ``kind`` whose ``at`` is in [start, end):
    each measure's count and, when ``values`` names a column, its non-null values in
    ascending order (else none) — all in one ``GROUP BY`` over the covering index."""
    names = list(measures)
    key_column = _key(key, months).label("key")
    columns = [key_column, *(_measure(measures[n]).label(n) for n in names)]
    if values is not None:
        columns.append(_values_array(connection, _column(values)).label("values"))
    query = select(*columns).where(_in_period(kind, start, end)).group_by(key_column)
    found: dict[str, Group] = {}
    for row in connection.execute(query):
        counts = {
            name: int(value) for name, value in zip(names, row[1 : len(names) + 1], strict=True)
        }
        found[str(row[0])] = Group(counts, _ascending(row[-1]) if values is not None else [])
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


def _json_list(postgresql: bool, *values: ColumnElement[Any]) -> ColumnElement[Any]:
    """An aggregate of a group's rows as one JSON array of arrays of ``values``
    (PostgreSQL: null for no rows)."""
    if postgresql:
        return func.json_agg(func.json_build_array(*values), type_=JSON)
    return func.json_group_array(func.json_array(*values), type_=JSON)


#: An incomplete discussion as the gaps query reads it: its payload; (item, arrived_at,
#: arrived_by) of each arrival for its case after it (``arrived_at`` as the payload
#: writes it); and (item, transfer_id, chases) of each transfer requested for its case.
IncompleteDiscussion = tuple[dict[str, Any], list[list[Any]], list[list[Any]]]


#: PostgreSQL settings for the rest of the gaps query's transaction (``SET LOCAL``). Its
#: planner, which cannot tell how few discussions are incomplete, estimates several times
#: the rows there are: it would compile the query (JIT, 40-60 ms at a million events) and
#: scan the whole table in parallel workers, leaving the per-discussion lookups to the
#: leader alone (twice the time of one process reading the discussions by index).
_ONE_PROCESS_NO_JIT = select(
    func.set_config("jit", "off", true()),
    func.set_config("max_parallel_workers_per_gather", "0", true()),
)


def incomplete_discussions(
    connection: Connection,
    start: datetime,
    end: datetime,
    *,
    presenting_site: str | None = None,
    pathway: str | None = None,
) -> Iterator[IncompleteDiscussion]:
    """The discussions in [start, end) with fewer items available than required (of one
    presenting site and pathway, when given) — where the gaps query starts — by case and
    then in the order each case's occurred, each with what its gap rows show of its
    case's arrivals and transfers.

    One query: the discussions are found by kind and instant, and each one's later
    arrivals (looked up by owner, the primary key) and its case's transfers
    (in the ``(kind, ref)`` covering index) are gathered by the database into two small
    JSON arrays, so that a discussion is one row however many arrivals and transfers its
    case has. Only the payloads of these discussions and of their cases' arrivals are
    read from the table."""
    conditions = [
        _in_period("discussion", start, end),
        read_models.c.available_items < read_models.c.required_items,
    ]
    if presenting_site is not None:
        conditions.append(read_models.c.presenting_site == presenting_site)
    if pathway is not None:
        conditions.append(read_models.c.pathway == pathway)
    postgresql = connection.dialect.name == "postgresql"
    query = (
        select(
            read_models.c.payload,
            _later_arrivals(postgresql).label("arrivals"),
            _case_transfers(postgresql).label("transfers"),
        )
        .where(*conditions)
        .order_by(read_models.c.owner, read_models.c.seq)
    )
    if postgresql:
        connection.execute(_ONE_PROCESS_NO_JIT)
    for payload, arrivals, transfers in connection.execute(query).all():
        yield payload, arrivals or [], transfers or []


def _later_arrivals(postgresql: bool) -> ColumnElement[Any]:
    """(item, arrived_at, arrived_by) of the arrivals for the discussion's case after it,
    found by owner (the primary key). SQLite, which plans without statistics here, gets
    the comparison of instants in a form no index serves, else it may scan the
    ``(kind, at)`` index for every discussion."""
    arrival = read_models.alias("a")
    later = arrival.c.at > read_models.c.at
    if not postgresql:
        later = case((later, 1), else_=0) == 1
    return (
        select(
            _json_list(
                postgresql,
                arrival.c.ref,
                arrival.c.payload["arrived_at"].as_string(),
                arrival.c.payload["arrived_by"].as_string(),
            )
        )
        .where(arrival.c.owner == read_models.c.owner, arrival.c.kind == "arrival", later)
        .scalar_subquery()
    )


def _case_transfers(postgresql: bool) -> ColumnElement[Any]:
    """(item, transfer_id, chases) of the transfers requested for the discussion's case,
    from the ``(kind, ref)`` covering index."""
    transfer = read_models.alias("t")
    return (
        select(
            _json_list(
                postgresql,
                transfer.c.item,
                func.substr(transfer.c.owner, _TRANSFER_PREFIX + 1),
                transfer.c.chases,
            )
        )
        .where(
            transfer.c.kind == "transfer",
            transfer.c.ref == func.substr(read_models.c.owner, _CASE_PREFIX + 1),
        )
        .scalar_subquery()
    )
