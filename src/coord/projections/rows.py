"""Facts to read-model rows: one definition for the projector and for rebuild.

Each row is owned by the subject whose events produce it: a case owns its case record,
listings, discussions, deferrals, arrivals and the gaps query's rows of its discussions;
a transfer, handover, referral or meeting owns its record.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from coord.projections.codec import payload_json, to_payload
from coord.reports import Facts, days_since
from coord.reports.gaps import GapRow, gap_rows
from coord.reports.records import (
    Arrival,
    Case,
    Deferral,
    Discussion,
    Handover,
    Listing,
    Meeting,
    Referral,
    Transfer,
)
from coord.store.bulk_rows import FigureNames, PreparedRows, RowParameters
from coord.store.readmodels import ModelRow


@dataclass(frozen=True, slots=True)
class RecordRow:
    """A read-model row before it is written: its key, ``at``, ``ref`` and the record it
    holds (its payload and figure columns are made from the record only when it is
    written; the projector compares records to write only the rows that changed)."""

    kind: str
    owner: str
    seq: int
    at: datetime | None
    ref: str | None
    record: Any

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.seq)


def model_row(row: RecordRow, time_zone: ZoneInfo) -> ModelRow:
    """The row as written: the record's JSON payload and figure columns."""
    return ModelRow(
        row.kind, row.owner, row.seq, row.at, row.ref, to_payload(row.record),
        figures_of(row.record, time_zone),
    )  # fmt: skip


def rows_of(
    facts: Facts, owners: Collection[str] | None = None, *, time_zone: ZoneInfo
) -> PreparedRows:
    """Every row the read models hold for these facts (only those of ``owners``, when
    given); day counts are taken in ``time_zone``, the network's.

    Iterated, they are made by :func:`model_row` (the definition); written by
    :func:`~coord.store.bulk_rows.write_rows`, each row is made directly as its
    parameters, in one pass (its payload's JSON text straight from the record, its
    figures a tuple by the record's class): no :class:`RecordRow`, :class:`ModelRow` or
    dict per row, the same values."""
    wanted = None if owners is None else set(owners)
    return _prepared(lambda: _rows(facts, wanted), time_zone)


def prepared_rows(rows: Collection[RecordRow], time_zone: ZoneInfo) -> PreparedRows:
    """These rows as written (:func:`model_row`), made as :func:`rows_of` makes its own:
    directly as their parameters when written."""
    return _prepared(
        lambda: ((r.kind, r.owner, r.seq, r.at, r.ref, r.record) for r in rows), time_zone
    )


def _prepared(rows: Callable[[], Iterator[_Row]], time_zone: ZoneInfo) -> PreparedRows:
    def models() -> Iterator[ModelRow]:
        return (model_row(RecordRow(*row), time_zone) for row in rows())

    def parameters(stored_at: Callable[[datetime | None], Any]) -> Iterator[RowParameters]:
        layouts, json, zone = _FIGURES, payload_json, time_zone
        for kind, owner, seq, at, ref, record in rows():
            cls = record.__class__
            names, figures = layouts.get(cls) or _figures_of_class(cls)
            yield names, (
                kind, owner, seq, stored_at(at), ref, json(record), *figures(record, zone)
            )  # fmt: skip

    return PreparedRows(models, parameters)


def record_rows(facts: Facts, owners: Collection[str] | None = None) -> Iterator[RecordRow]:
    """:func:`rows_of` before payloads: each row's key and record."""
    wanted = None if owners is None else set(owners)
    return (RecordRow(*row) for row in _rows(facts, wanted))


def elapsed_us(start: datetime, end: datetime | None) -> int | None:
    """Whole microseconds from ``start`` to ``end`` (instants; None when ``end`` is)."""
    if end is None:
        return None
    delta = end - start
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def figures_of(record: object, time_zone: ZoneInfo) -> dict[str, Any]:
    """The figure columns of a record's row: what the reports group and count it by."""
    names, figures = _FIGURES.get(record.__class__) or _figures_of_class(record.__class__)
    return dict(zip(names, figures(record, time_zone), strict=True))


def _transfer(r: Transfer, _zone: ZoneInfo) -> tuple[Any, ...]:
    received = r.received_at
    return (
        r.from_site, r.to_site, r.item, r.method,
        None if received is None else elapsed_us(r.requested_at, received),
        0 if r.failed_at is None else 1, r.chases,
    )  # fmt: skip


def _handover(r: Handover, _zone: ZoneInfo) -> tuple[Any, ...]:
    acknowledged = r.acknowledged_at
    return (
        r.from_site, r.to_site,
        None if acknowledged is None else elapsed_us(r.initiated_at, acknowledged),
        0 if r.declined_at is None else 1, 0 if r.completed_at is None else 1,
    )  # fmt: skip


def _referral(r: Referral, zone: ZoneInfo) -> tuple[Any, ...]:
    received, treated = r.received_at, r.treatment_at
    return (
        r.from_site, r.to_site, r.pathway,
        None if received is None else days_since(r.clock_start, received, zone),
        None if treated is None else days_since(r.clock_start, treated, zone),
        0 if r.accepted_at is None else 1, 0 if r.rejected_at is None else 1,
    )  # fmt: skip


def _meeting(r: Meeting, _zone: ZoneInfo) -> tuple[Any, ...]:
    return (r.host_site, r.pathway, r.technical_issues, len(r.sites_present), len(r.groups_present))


def _discussion(r: Discussion, _zone: ZoneInfo) -> tuple[Any, ...]:
    return (r.presenting_site, r.pathway, len(r.required_items), len(r.available_items))


def _deferral(r: Deferral, _zone: ZoneInfo) -> tuple[Any, ...]:
    return (r.presenting_site, r.pathway, r.reason)


def _listing(r: Listing, _zone: ZoneInfo) -> tuple[Any, ...]:
    return (r.presenting_site, r.pathway, int(r.ready_at_cutoff))


def _gap(r: GapRow, _zone: ZoneInfo) -> tuple[Any, ...]:
    return (r.presenting_site, r.pathway, r.item)


def _none(_record: Any, _zone: ZoneInfo) -> tuple[Any, ...]:
    return ()


Figures = Callable[[Any, ZoneInfo], tuple[Any, ...]]
#: per record class: the names of its row's figure columns, and their values
_FIGURES: dict[type[Any], tuple[FigureNames, Figures]] = {
    Transfer: (
        ("from_site", "to_site", "item", "method", "elapsed_us", "failed", "chases"),
        _transfer,
    ),
    Handover: (("from_site", "to_site", "elapsed_us", "declined", "completed"), _handover),
    Referral: (
        (
            "from_site",
            "to_site",
            "pathway",
            "received_days",
            "treated_days",
            "accepted",
            "rejected",
        ),
        _referral,
    ),
    Meeting: (
        ("host_site", "pathway", "technical_issues", "sites_present", "groups_present"),
        _meeting,
    ),
    Discussion: (
        ("presenting_site", "pathway", "required_items", "available_items"),
        _discussion,
    ),
    Deferral: (("presenting_site", "pathway", "reason"), _deferral),
    Listing: (("presenting_site", "pathway", "ready_at_cutoff"), _listing),
    Case: ((), _none),
    Arrival: ((), _none),
    GapRow: (("presenting_site", "pathway", "item"), _gap),
}


def _figures_of_class(cls: type[Any]) -> tuple[FigureNames, Figures]:
    """The figures of a record class not in :data:`_FIGURES`: those of the nearest class
    it extends that is (none for another record)."""
    found = next((_FIGURES[c] for c in cls.__mro__ if c in _FIGURES), ((), _none))
    _FIGURES[cls] = found
    return found


#: a row before its payload: kind, owner, seq, at, ref, record
_Row = tuple[str, str, int, datetime | None, str | None, Any]


def _rows(facts: Facts, owners: set[str] | None) -> Iterator[_Row]:
    """Every row's key and record (only those of ``owners``, when given), in the order
    the read models are written: the kinds in alphabetical order, the order of the
    table's primary key (kind, owner, seq), which SQLite stores with the fewest
    instructions (callgrind, 102k events, the writing alone: 1.003G against 1.113G in
    the order the fold's records come; sorting the rows further costs more than it
    saves)."""
    seq: dict[str, int] = {}
    # the keys sorted, then looked up: sorting pairs of text is quicker than sorting the
    # (key, arrival) items, whose keys are compared as tuples of tuples
    arrivals = facts.arrivals
    for key in sorted(arrivals):
        case_id, item = key
        owner = "case:" + case_id
        if owners is None or owner in owners:
            value = seq.get(owner, 0)
            seq[owner] = value + 1
            arrival = arrivals[key]
            yield "arrival", owner, value, arrival.arrived_at, item, arrival
    for case in facts.cases.values():
        owner = "case:" + case.case_id
        if owners is None or owner in owners:
            yield "case", owner, 0, case.listed_at, None, case
    steps: tuple[tuple[str, tuple[Listing | Discussion | Deferral, ...]], ...] = (
        ("deferral", facts.deferrals),
        ("discussion", facts.discussions),
    )
    yield from _steps(steps, owners)
    yield from _gaps(facts, owners)
    for handover in facts.handovers.values():
        owner = "handover:" + handover.handover_id
        if owners is None or owner in owners:
            yield "handover", owner, 0, handover.initiated_at, None, handover
    yield from _steps((("listing", facts.listings),), owners)
    for meeting in facts.meetings.values():
        owner = "meeting:" + meeting.meeting_id
        if owners is None or owner in owners:
            yield "meeting", owner, 0, meeting.scheduled_for, None, meeting
    for referral in facts.referrals.values():
        owner = "referral:" + referral.referral_id
        if owners is None or owner in owners:
            yield "referral", owner, 0, referral.made_at, None, referral
    for transfer in facts.transfers.values():
        owner = "transfer:" + transfer.transfer_id
        if owners is None or owner in owners:
            yield "transfer", owner, 0, transfer.requested_at, transfer.case_id, transfer


def _steps(
    steps: tuple[tuple[str, tuple[Listing | Discussion | Deferral, ...]], ...],
    owners: set[str] | None,
) -> Iterator[_Row]:
    """The rows of a case's listings, discussions or deferrals: numbered per case in the
    order they happened, ``ref`` the meeting."""
    seq: dict[str, int] = {}
    for kind, records in steps:
        seq.clear()
        for step in records:
            owner = "case:" + step.case_id
            if owners is None or owner in owners:
                value = seq.get(owner, 0)
                seq[owner] = value + 1
                yield kind, owner, value, step.occurred_at, step.meeting_id, step


def _gaps(facts: Facts, owners: set[str] | None) -> Iterator[_Row]:
    """The gap rows of every discussion (of the cases of ``owners``, when given) with an
    item missing, made as the gaps query makes them (:func:`coord.reports.gaps.gap_rows`):
    owned by the case, whose fold holds its arrivals and transfers, so that a later
    arrival, transfer or chase writes them again; ``at`` when it was discussed, ``ref``
    its meeting."""
    discussions = (d for d in facts.discussions if owners is None or "case:" + d.case_id in owners)
    seq: dict[str, int] = {}
    for discussion, row in gap_rows(facts, discussions):
        owner = "case:" + discussion.case_id
        value = seq.get(owner, 0)
        seq[owner] = value + 1
        yield "gap", owner, value, discussion.occurred_at, discussion.meeting_id, row
