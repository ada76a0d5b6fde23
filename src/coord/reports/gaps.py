"""``coord gaps`` (SPEC §7): one row per discussion in the period and required item
that was not available at it — when (and how) the item arrived after all, and the
transfers requested for it and their chases."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from coord.events.fields import Day, Timestamp
from coord.reports.facts import Facts
from coord.reports.model import Number
from coord.reports.periods import Period, hours_between
from coord.reports.records import ArrivalKind, Transfer
from coord.reports.stats import duration

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
    rows: list[GapRow] = []
    requested_for = _requested_for(facts)
    for discussion in facts.discussions:
        if not period.holds(discussion.occurred_at, time_zone):
            continue
        if site is not None and discussion.presenting_site != site:
            continue
        if pathway is not None and discussion.pathway != pathway:
            continue
        for item in discussion.missing_items:
            arrival = facts.arrivals.get((discussion.case_id, item))
            requested = requested_for.get((discussion.case_id, item), ())
            rows.append(
                GapRow(
                    case_id=discussion.case_id,
                    meeting_id=discussion.meeting_id,
                    patient_id=discussion.patient_id,
                    pathway=discussion.pathway,
                    presenting_site=discussion.presenting_site,
                    item=item,
                    discussed_at=discussion.occurred_at,
                    arrived_at=arrival.arrived_at if arrival else None,
                    arrived_by=arrival.arrived_by if arrival else None,
                    hours_late=(
                        duration(hours_between(discussion.occurred_at, arrival.arrived_at))
                        if arrival
                        else None
                    ),
                    transfer_ids=[t.transfer_id for t in requested],
                    chases=sum(t.chases for t in requested),
                )
            )
    rows.sort(key=lambda r: (r.discussed_at, r.case_id, r.item))
    return GapsReport(
        from_date=period.from_date,
        to_date=period.to_date,
        site=site,
        pathway=pathway,
        as_of=as_of,
        rows=rows,
    )


def _requested_for(facts: Facts) -> dict[tuple[str, str], list[Transfer]]:
    """The transfers requested for each (case, item), by transfer id (indexed once, not
    searched per gap)."""
    found: dict[tuple[str, str], list[Transfer]] = {}
    for transfer in sorted(facts.transfers.values(), key=lambda t: t.transfer_id):
        if transfer.case_id is not None:
            found.setdefault((transfer.case_id, transfer.item), []).append(transfer)
    return found
