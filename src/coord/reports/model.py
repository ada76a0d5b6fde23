"""The reports' output models: ``model_dump(mode="json")`` is the SPEC §6 JSON shape
(fields in the SPEC's order), and the grouping every report shares."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PlainSerializer

from coord.events.fields import Day, Timestamp
from coord.reports.periods import Period, local_month

#: a rounded ratio, hours or days: exact Decimal in Python, a JSON number in JSON
Number = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]

_CONFIG = ConfigDict(frozen=True, serialize_by_alias=True)


class Row(BaseModel):
    """One row of a report; ``key`` is None in the total."""

    model_config = _CONFIG

    key: str | None


RowT = TypeVar("RowT", bound=Row)
TallyT = TypeVar("TallyT")
MemberT = TypeVar("MemberT")
ReportT = TypeVar("ReportT", bound="Report[Any]")


class Report(BaseModel, Generic[RowT]):
    model_config = _CONFIG

    report: str
    from_date: Day = Field(
        serialization_alias="from", validation_alias=AliasChoices("from_date", "from")
    )
    to_date: Day = Field(serialization_alias="to", validation_alias=AliasChoices("to_date", "to"))
    by: str
    as_of: Timestamp | None = None
    rows: list[RowT]
    total: RowT


def check_by(report: str, by: str, keys: Sequence[str]) -> None:
    if by not in keys:
        raise ValueError(f"report {report} has no --by {by!r}; use one of: {', '.join(keys)}")


def tabulate(
    members: Iterable[MemberT],
    key_of: Callable[[MemberT], Iterable[str]],
    row_of: Callable[[str | None, list[MemberT]], RowT],
) -> tuple[list[RowT], RowT]:
    """Rows (one per key value in the population, sorted by code point) and the total.

    ``key_of`` gives the keys a member counts under (one for most reports; a discussion
    counts under each item it requires)."""
    everyone = list(members)
    groups: dict[str, list[MemberT]] = {}
    for member in everyone:
        for key in key_of(member):
            groups.setdefault(key, []).append(member)
    rows = [row_of(key, groups[key]) for key in sorted(groups)]
    return rows, row_of(None, everyone)


def key_by(
    by: str,
    time_zone: ZoneInfo,
    when: Callable[[MemberT], datetime],
    subject: Callable[[MemberT], object] = lambda member: member,
) -> Callable[[MemberT], tuple[str]]:
    """The row key of a member: the local month of ``when(member)`` for ``--by month``,
    else the ``by`` attribute of ``subject(member)``."""

    def key_of(member: MemberT) -> tuple[str]:
        if by == "month":
            return (local_month(when(member), time_zone),)
        return (str(getattr(subject(member), by)),)

    return key_of


def assemble(
    report_type: type[ReportT],
    name: str,
    period: Period,
    by: str,
    as_of: datetime | None,
    population: Iterable[MemberT],
    key_of: Callable[[MemberT], Iterable[str]],
    row_of: Callable[[str | None, list[MemberT]], RowT],
) -> ReportT:
    """Tabulate a population into a report of the SPEC's shape."""
    rows, total = tabulate(population, key_of, row_of)
    return report_type(
        report=name,
        from_date=period.from_date,
        to_date=period.to_date,
        by=by,
        as_of=as_of,
        rows=rows,
        total=total,
    )


def group(
    members: Iterable[MemberT], key_of: Callable[[MemberT], Iterable[str]]
) -> dict[str, list[MemberT]]:
    """The members under each key value of the population."""
    groups: dict[str, list[MemberT]] = {}
    for member in members:
        for key in key_of(member):
            groups.setdefault(key, []).append(member)
    return groups


def from_tallies(
    report_type: type[ReportT],
    name: str,
    period: Period,
    by: str,
    as_of: datetime | None,
    tallies: Mapping[str, TallyT],
    total: TallyT,
    row_of: Callable[[str | None, TallyT], RowT],
) -> ReportT:
    """A report of the SPEC's shape from each key value's tally (what its row is computed
    from) and the whole population's: rows sorted by key in code-point order."""
    return report_type(
        report=name,
        from_date=period.from_date,
        to_date=period.to_date,
        by=by,
        as_of=as_of,
        rows=[row_of(key, tallies[key]) for key in sorted(tallies)],
        total=row_of(None, total),
    )
