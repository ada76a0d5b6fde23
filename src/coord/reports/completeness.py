"""``coord report completeness`` (SPEC §6): how complete the information was at each
discussion, and how often cases were deferred for missing information.

Population: ``CaseDiscussed`` and ``CaseDeferred`` whose local date is in the period,
keyed by their case's ``presenting_site`` and ``pathway`` and by the local month of the
event itself. ``--by item`` counts discussions only: one row per required item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from coord.reports.facts import Facts
from coord.reports.model import (
    Number,
    Report,
    Row,
    assemble,
    check_by,
    from_tallies,
    group,
    key_by,
)
from coord.reports.periods import Period
from coord.reports.records import Deferral, Discussion
from coord.reports.stats import ratio

NAME = "completeness"
BY_KEYS = ("presenting_site", "pathway", "month", "item")
DEFAULT_BY = "presenting_site"


class CompletenessRow(Row):
    discussions: int
    complete_discussions: int
    case_completeness: Number | None
    items_required: int
    items_available: int
    item_completeness: Number | None
    deferrals: int
    deferrals_missing_information: int
    deferral_rate_missing_information: Number | None


class ItemCompletenessRow(Row):
    items_required: int
    items_available: int
    item_completeness: Number | None


CompletenessReport = Report[CompletenessRow]
ItemCompletenessReport = Report[ItemCompletenessRow]

Ending = Discussion | Deferral


def completeness_report(
    facts: Facts,
    period: Period,
    by: str,
    time_zone: ZoneInfo,
    *,
    as_of: datetime | None = None,
) -> CompletenessReport | ItemCompletenessReport:
    check_by(NAME, by, BY_KEYS)
    discussions = [d for d in facts.discussions if period.holds(d.occurred_at, time_zone)]
    if by == "item":
        return assemble(
            ItemCompletenessReport, NAME, period, by, as_of, discussions, _required, _item_row
        )
    deferrals = [d for d in facts.deferrals if period.holds(d.occurred_at, time_zone)]
    population: list[Ending] = [*discussions, *deferrals]

    key_of: Callable[[Ending], tuple[str]] = key_by(by, time_zone, lambda e: e.occurred_at)

    groups = {key: tally(members) for key, members in group(population, key_of).items()}
    return from_tallies(CompletenessReport, NAME, period, by, as_of, groups, tally(population), row)


#: the reason of a deferral for missing information
MISSING_INFORMATION = "missing_information"


@dataclass(frozen=True, slots=True)
class CompletenessTally:
    """What a row (other than ``--by item``'s) is computed from."""

    discussions: int = 0
    complete_discussions: int = 0
    items_required: int = 0
    items_available: int = 0
    deferrals: int = 0
    deferrals_missing_information: int = 0


def tally(endings: list[Ending]) -> CompletenessTally:
    discussed = [e for e in endings if isinstance(e, Discussion)]
    deferred = [e for e in endings if isinstance(e, Deferral)]
    return CompletenessTally(
        discussions=len(discussed),
        complete_discussions=sum(1 for d in discussed if d.complete),
        items_required=sum(len(d.required_items) for d in discussed),
        items_available=sum(len(d.available_items) for d in discussed),
        deferrals=len(deferred),
        deferrals_missing_information=sum(1 for d in deferred if d.reason == MISSING_INFORMATION),
    )


def row(key: str | None, tally: CompletenessTally) -> CompletenessRow:
    """The row of a key value (None: the total) from its tally."""
    return CompletenessRow(
        key=key,
        discussions=tally.discussions,
        complete_discussions=tally.complete_discussions,
        case_completeness=ratio(tally.complete_discussions, tally.discussions),
        items_required=tally.items_required,
        items_available=tally.items_available,
        item_completeness=ratio(tally.items_available, tally.items_required),
        deferrals=tally.deferrals,
        deferrals_missing_information=tally.deferrals_missing_information,
        deferral_rate_missing_information=ratio(
            tally.deferrals_missing_information, tally.discussions + tally.deferrals
        ),
    )


def _required(discussion: Discussion) -> Iterable[str]:
    return discussion.required_items


def _item_row(key: str | None, discussions: list[Discussion]) -> ItemCompletenessRow:
    """One item over the discussions requiring it (``key``), or every required item of
    every discussion (the total)."""
    if key is None:
        required = sum(len(d.required_items) for d in discussions)
        available = sum(len(d.available_items) for d in discussions)
    else:
        required = len(discussions)
        available = sum(1 for d in discussions if key in d.available_items)
    return ItemCompletenessRow(
        key=key,
        items_required=required,
        items_available=available,
        item_completeness=ratio(available, required),
    )
