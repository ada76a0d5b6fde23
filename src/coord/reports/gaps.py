"""``coord gaps`` (SPEC §7): one row per discussion in the period and required item
that was not available at it — when (and how) the item arrived after all, and the
transfers requested for it and their chases."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from coord.events.fields import Day, Timestamp
from coord.reports.facts import Facts
from coord.reports.model import Number
from coord.reports.periods import MICROSECONDS_PER_HOUR, Period, microseconds_between
from coord.reports.records import ArrivalKind, Discussion
from coord.reports.stats import whole_duration

_CONFIG = ConfigDict(frozen=True, serialize_by_alias=True)


class GapRow(BaseModel):
    model_config = _CONFIG

    case_id: str
    meeting_id: str
    patient_id: str
    pathway: str
    presenting_site: str
    item: str
    discussed_at: Timestamp
    #: first availability at any time (None: never)
    arrived_at: Timestamp | None
    arrived_by: ArrivalKind | None
    hours_late: Number | None
    transfer_ids: list[str]
    chases: int


class GapsReport(BaseModel):
    model_config = _CONFIG

    query: Literal["gaps"] = "gaps"
    from_date: Day = Field(
        serialization_alias="from", validation_alias=AliasChoices("from_date", "from")
    )
    to_date: Day = Field(serialization_alias="to", validation_alias=AliasChoices("to_date", "to"))
    site: str | None = None
    pathway: str | None = None
    as_of: Timestamp | None = None
    rows: list[GapRow]


def gap_rows_of_payloads(payloads: list[dict[str, Any]]) -> list[GapRow]:
    """The gap rows of the read models' payloads of them, decoded from JSON as
    :func:`coord.projections.codec.to_payload` wrote them (instants as UTC text with
    ``Z``, ``hours_late`` as the text of its decimal; each payload becomes its row's
    fields). Each row was made by :func:`gap_row`, and validated, when its case last
    changed, so it is made again as ``GapRow.model_construct`` makes a model, less that
    method's look for each field's alias and default (a gap row has none, and the look
    took longer than validating): its instants read as the codec reads a record's, its
    decimal from its exact text. A year's 6,537 rows at a million events took 245
    million instructions decoded and validated by pydantic in one call (a Python call
    per instant to the timestamp validator), 184 million decoded by orjson and made so.

    Each payload given becomes its row's ``__dict__``, its instants and decimal parsed in
    place: the payloads are decoded for this alone (by
    :func:`coord.store.aggregates.gap_payloads`) and not used again, and copying each
    first would add 9.5 million instructions (10 %) to those 6,537 rows."""
    parse, new, set_ = datetime.fromisoformat, object.__new__, object.__setattr__
    rows = []
    for payload in payloads:
        payload["discussed_at"] = parse(payload["discussed_at"])
        if payload["arrived_at"] is not None:
            payload["arrived_at"] = parse(payload["arrived_at"])
        if payload["hours_late"] is not None:
            payload["hours_late"] = Decimal(payload["hours_late"])
        row = new(GapRow)
        set_(row, "__dict__", payload)
        set_(row, "__pydantic_fields_set__", set(_GAP_ROW_FIELDS))
        set_(row, "__pydantic_extra__", None)
        set_(row, "__pydantic_private__", None)
        rows.append(row)
    return rows


_GAP_ROW_FIELDS = frozenset(GapRow.model_fields)


#: a transfer requested for a discussion's case and missing item, as its gap row shows
#: it: (transfer_id, chases)
Requested = tuple[str, int]


def gap_row(
    discussion: Discussion,
    item: str,
    arrival: tuple[datetime, ArrivalKind] | None,
    requested: Collection[Requested],
) -> GapRow:
    """The row of ``item``, missing at ``discussion``: when and how it first became
    available (``arrival``, at any time; None: never) and the transfers requested for the
    case and item (listed by transfer id)."""
    transfers = sorted(requested) if requested else ()
    arrived_at: datetime | None = None
    arrived_by: ArrivalKind | None = None
    hours_late: Decimal | None = None
    if arrival is not None:
        arrived_at, arrived_by = arrival
        hours_late = whole_duration(
            microseconds_between(discussion.occurred_at, arrived_at), MICROSECONDS_PER_HOUR
        )
    return GapRow(
        case_id=discussion.case_id,
        meeting_id=discussion.meeting_id,
        patient_id=discussion.patient_id,
        pathway=discussion.pathway,
        presenting_site=discussion.presenting_site,
        item=item,
        discussed_at=discussion.occurred_at,
        arrived_at=arrived_at,
        arrived_by=arrived_by,
        hours_late=hours_late,
        transfer_ids=[transfer_id for transfer_id, _ in transfers],
        chases=sum([chases for _, chases in transfers]),
    )


def gaps_report(
    rows: list[GapRow],
    period: Period,
    *,
    site: str | None = None,
    pathway: str | None = None,
    as_of: datetime | None = None,
    in_order: bool = False,
) -> GapsReport:
    """The report of the gap rows of the discussions in the period, each discussion's in
    the order of its missing items and the discussions in the order they occurred:
    sorted (stably) by ``discussed_at``, then ``case_id``, then ``item`` - unless the
    rows come ``in_order`` already (the read models' rows, read in that order: sorting
    them again would only check it, at the cost of a key made per row)."""
    if not in_order:
        rows.sort(key=lambda r: (r.discussed_at, r.case_id, r.item))
    return GapsReport(
        from_date=period.from_date,
        to_date=period.to_date,
        site=site,
        pathway=pathway,
        as_of=as_of,
        rows=rows,
    )


def gaps_query(
    facts: Facts,
    period: Period,
    time_zone: ZoneInfo,
    *,
    site: str | None = None,
    pathway: str | None = None,
    as_of: datetime | None = None,
) -> GapsReport:
    """Discussions whose local date is in the period (``site`` filters on the case's
    presenting site, ``pathway`` on its pathway), sorted by ``discussed_at``, then
    ``case_id``, then ``item``."""
    discussions = [
        discussion
        for discussion in facts.discussions
        if period.holds(discussion.occurred_at, time_zone)
        and (site is None or discussion.presenting_site == site)
        and (pathway is None or discussion.pathway == pathway)
    ]
    rows = [row for _, row in gap_rows(facts, discussions)]
    return gaps_report(rows, period, site=site, pathway=pathway, as_of=as_of)


def gap_rows(
    facts: Facts, discussions: Iterable[Discussion]
) -> Iterator[tuple[Discussion, GapRow]]:
    """The gap rows of these discussions of ``facts`` (:func:`gap_row`), each
    discussion's in the order of its missing items, with the discussion of each: what
    the gaps query shows of them, and what the read models keep of every discussion."""
    requested_for = _requested_for(facts)
    arrivals = facts.arrivals
    for discussion in discussions:
        for item in discussion.missing_items:
            arrival = arrivals.get((discussion.case_id, item))
            yield (
                discussion,
                gap_row(
                    discussion,
                    item,
                    (arrival.arrived_at, arrival.arrived_by) if arrival else None,
                    requested_for.get((discussion.case_id, item), ()),
                ),
            )


def _requested_for(facts: Facts) -> dict[tuple[str, str], list[Requested]]:
    """The transfers requested for each (case, item) (indexed once, not searched per
    gap)."""
    found: dict[tuple[str, str], list[Requested]] = {}
    for transfer in facts.transfers.values():
        if transfer.case_id is not None:
            key = (transfer.case_id, transfer.item)
            found.setdefault(key, []).append((transfer.transfer_id, transfer.chases))
    return found
