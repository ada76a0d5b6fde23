"""Report figures aggregated in SQL over the read models' figure columns.

A report's rows are computed from one tally per key value (:mod:`coord.reports`); here
the counts of a tally are summed in one ``GROUP BY`` query over the records of a period,
which also collects, per key value, the whole numbers its percentiles read (one array
per group, not one row per record); a period of several months is read in two halves at
once (:mod:`coord.store.halves`) and their groups joined. The projections say which
counts a report needs in a small vocabulary (:data:`Measure`), so that no SQL lives
above the store. The indexes
of ``read_models`` (:data:`coord.store.schema.READ_MODEL_INDEXES`) cover every column
read here but the payloads of the gaps query's rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql import Subquery

from coord.store.halves import middle_of, read_in_halves
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
    """An aggregate of a group's non-null values of ``column`` as one array, in no
    particular order: PostgreSQL's ``array_agg``, SQLite's ``json_group_array`` (JSON
    text). Unordered, so that PostgreSQL hashes the groups: an ordered aggregate makes it
    sort every record by the key's collation first (and spill to disk at a year's
    records) before sorting each group's values."""
    if connection.dialect.name == "postgresql":
        return func.array_agg(column).filter(column.is_not(None))
    return func.json_group_array(column).filter(column.is_not(None))


def _sorted_array(grouped: Subquery) -> ColumnElement[Any]:
    """PostgreSQL's array of a group's values (:func:`_values_array`) sorted by the
    server, each group's apart (in memory; a third of the time sorting them here takes)."""
    value = func.unnest(grouped.c["values"]).table_valued("value").render_derived("each")
    ordered = aggregate_order_by(value.c.value, value.c.value)
    return select(func.array_agg(ordered)).select_from(value).scalar_subquery()


def _values_of(array: Any) -> list[int]:
    """The values of a :func:`_values_array`, in its order."""
    if array is None:  # array_agg of no rows
        return []
    values: list[int] = orjson.loads(array) if isinstance(array, str | bytes) else list(array)
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
    ascending order (else none) — in one ``GROUP BY`` over the covering index, or (a
    period of several months) one for each half of the period, read at once
    (:mod:`coord.store.halves`), their groups then joined: every count adds up."""
    names = list(measures)
    key_column = _key(key, months).label("key")
    columns = [key_column, *(_measure(measures[n]).label(n) for n in names)]
    if values is not None:
        columns.append(_values_array(connection, _column(values)).label("values"))
    postgresql = connection.dialect.name == "postgresql"

    def read(on: Connection, part_start: datetime, part_end: datetime) -> Sequence[Row[Any]]:
        query = select(*columns).where(_in_period(kind, part_start, part_end))
        query = query.group_by(key_column)
        if values is not None and postgresql:
            grouped = query.subquery("grouped")
            query = select(*(grouped.c[c.name] for c in columns[:-1]), _sorted_array(grouped))
        # every row fetched before any is worked on: a half read on a worker thread steps
        # its statement a row at a time, each step taking the GIL back, which this
        # thread's decoding and sorting would hold for milliseconds at a time
        return on.execute(query).all()

    found: dict[str, Group] = {}
    middle = middle_of([month_start for month_start, _ in months])
    for part in read_in_halves(connection, start, end, middle, read):
        for row in part:
            counts = dict(zip(names, map(int, row[1 : len(names) + 1]), strict=True))
            got = _values_of(row[-1]) if values is not None else []
            key_value = str(row[0])
            group = found.get(key_value)
            if group is None:
                found[key_value] = Group(counts, got)
                continue
            for name in names:  # the same key value in both halves: every count adds up
                group.counts[name] += counts[name]
            group.values.extend(got)
    for group in found.values():
        group.values.sort()  # PostgreSQL's arrays come sorted: then this only checks
    return found


def steps_naming_meetings(
    connection: Connection, start: datetime, end: datetime
) -> dict[str, dict[str, int]]:
    """For each meeting scheduled in [start, end): ``listings``, ``ready_at_cutoff``,
    ``discussed`` and ``deferred`` — the records naming it, each counted by a subquery
    per meeting over its range of the ``(kind, ref)`` index. (One ``GROUP BY ref`` over
    every step naming the period's meetings hashes and filters each of those records,
    which takes the databases two to five times as long at a year's.)"""
    meeting_id = func.substr(read_models.c.owner, _MEETING_PREFIX + 1)
    held = select(meeting_id.label("id")).where(_in_period("meeting", start, end)).subquery()

    def naming(kind: str, *, ready: bool = False) -> ColumnElement[int]:
        step = read_models.alias(f"{kind}_ready" if ready else kind)
        conditions = [step.c.kind == kind, step.c.ref == held.c.id]
        if ready:
            conditions.append(step.c.ready_at_cutoff == 1)
        return select(func.count()).where(*conditions).scalar_subquery()

    query = select(
        held.c.id,
        naming("listing"),
        naming("listing", ready=True),
        naming("discussion"),
        naming("deferral"),
    )
    names = ("listings", "ready_at_cutoff", "discussed", "deferred")
    return {
        str(row[0]): {name: int(v) for name, v in zip(names, row[1:], strict=True)}
        for row in connection.execute(query)
    }


def gap_payloads(
    connection: Connection,
    start: datetime,
    end: datetime,
    *,
    presenting_site: str | None = None,
    pathway: str | None = None,
) -> list[dict[str, Any]]:
    """The payloads of the gap rows (kind ``gap``) of the discussions in [start, end) (of
    one presenting site and pathway, when given), in the gaps query's order: by the
    instant discussed, case, item, and then as each case's were made. One range read of
    the ``(kind, at)`` index; the payloads' JSON text is joined as the database holds it
    and decoded in one call."""
    conditions = [_in_period("gap", start, end)]
    if presenting_site is not None:
        conditions.append(read_models.c.presenting_site == presenting_site)
    if pathway is not None:
        conditions.append(read_models.c.pathway == pathway)
    owner: ColumnElement[Any] = read_models.c.owner
    item: ColumnElement[Any] = read_models.c.item
    if connection.dialect.name == "postgresql":  # as Python orders text: by code point
        owner, item = owner.collate("C"), item.collate("C")
    query = (
        select(cast(read_models.c.payload, Text))
        .where(*conditions)
        .order_by(read_models.c.at, owner, item, read_models.c.seq)
    )
    # fetched at once (iterating the result fetches a row a call): with the report not
    # sorting the rows again (gaps_report's in_order), a year's gaps at a million events
    # (6,537 rows) takes 6% fewer instructions on SQLite, 346 -> 324 million
    payloads: list[dict[str, Any]] = orjson.loads(
        "[" + ",".join(connection.execute(query).scalars().all()) + "]"
    )
    return payloads
