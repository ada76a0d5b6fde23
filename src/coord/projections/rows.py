"""Facts to read-model rows: one definition for the projector and for rebuild.

Each row is owned by the subject whose events produce it: a case owns its case record,
listings, discussions, deferrals and arrivals; a transfer, handover, referral or meeting
owns its record.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from coord.projections.codec import to_payload
from coord.reports import Facts, days_since
from coord.reports.records import (
    Deferral,
    Discussion,
    Handover,
    Listing,
    Meeting,
    Referral,
    Transfer,
)
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
) -> Iterator[ModelRow]:
    """Every row the read models hold for these facts (only those of ``owners``, when
    given); day counts are taken in ``time_zone``, the network's."""
    return (model_row(row, time_zone) for row in record_rows(facts, owners))


def record_rows(facts: Facts, owners: Collection[str] | None = None) -> Iterator[RecordRow]:
    """:func:`rows_of` before payloads: each row's key and record."""
    if owners is not None:
        wanted = set(owners)
        return (row for row in _rows(facts, wanted) if row.owner in wanted)
    return _rows(facts, None)


def elapsed_us(start: datetime, end: datetime | None) -> int | None:
    """Whole microseconds from ``start`` to ``end`` (instants; None when ``end`` is)."""
    if end is None:
        return None
    delta = end - start
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _flag(value: object) -> int:
    return 0 if value is None else 1


def figures_of(record: object, time_zone: ZoneInfo) -> dict[str, Any]:
    """The figure columns of a record's row: what the reports group and count it by."""
    if isinstance(record, Transfer):
        return {
            "from_site": record.from_site, "to_site": record.to_site, "item": record.item,
            "method": record.method, "elapsed_us": elapsed_us(record.requested_at, record.received_at),
            "failed": _flag(record.failed_at), "chases": record.chases,
        }  # fmt: skip
    if isinstance(record, Handover):
        return {
            "from_site": record.from_site, "to_site": record.to_site,
            "elapsed_us": elapsed_us(record.initiated_at, record.acknowledged_at),
            "declined": _flag(record.declined_at), "completed": _flag(record.completed_at),
        }  # fmt: skip
    if isinstance(record, Referral):

        def days(at: datetime | None) -> int | None:
            return None if at is None else days_since(record.clock_start, at, time_zone)

        return {
            "from_site": record.from_site, "to_site": record.to_site, "pathway": record.pathway,
            "received_days": days(record.received_at), "treated_days": days(record.treatment_at),
            "accepted": _flag(record.accepted_at), "rejected": _flag(record.rejected_at),
        }  # fmt: skip
    if isinstance(record, Meeting):
        return {
            "host_site": record.host_site, "pathway": record.pathway,
            "technical_issues": record.technical_issues,
            "sites_present": len(record.sites_present), "groups_present": len(record.groups_present),
        }  # fmt: skip
    if isinstance(record, Discussion):
        return {
            "presenting_site": record.presenting_site, "pathway": record.pathway,
            "required_items": len(record.required_items),
            "available_items": len(record.available_items),
        }  # fmt: skip
    if isinstance(record, Deferral):
        return {
            "presenting_site": record.presenting_site, "pathway": record.pathway,
            "reason": record.reason,
        }  # fmt: skip
    if isinstance(record, Listing):
        return {
            "presenting_site": record.presenting_site, "pathway": record.pathway,
            "ready_at_cutoff": int(record.ready_at_cutoff),
        }  # fmt: skip
    return {}


def _rows(facts: Facts, owners: set[str] | None) -> Iterator[RecordRow]:
    def wanted(owner: str) -> bool:
        return owners is None or owner in owners

    for case in facts.cases.values():
        if wanted(f"case:{case.case_id}"):
            yield RecordRow("case", f"case:{case.case_id}", 0, case.listed_at, None, case)
    seq: dict[tuple[str, str], int] = {}

    def next_seq(kind: str, owner: str) -> int:
        value = seq.get((kind, owner), 0)
        seq[(kind, owner)] = value + 1
        return value

    steps: tuple[tuple[str, Sequence[Listing | Discussion | Deferral]], ...] = (
        ("listing", facts.listings),
        ("discussion", facts.discussions),
        ("deferral", facts.deferrals),
    )
    for kind, records in steps:
        for step in records:
            owner = f"case:{step.case_id}"
            if wanted(owner):
                yield RecordRow(
                    kind, owner, next_seq(kind, owner), step.occurred_at, step.meeting_id, step
                )
    for (case_id, item), arrival in sorted(facts.arrivals.items()):
        owner = f"case:{case_id}"
        if not wanted(owner):
            continue
        yield RecordRow(
            "arrival", owner, next_seq("arrival", owner), arrival.arrived_at, item, arrival
        )
    for transfer in facts.transfers.values():
        owner = f"transfer:{transfer.transfer_id}"
        if wanted(owner):
            yield RecordRow("transfer", owner, 0, transfer.requested_at, transfer.case_id, transfer)
    subjects: tuple[tuple[str, Iterable[Any], str, str], ...] = (
        ("handover", facts.handovers.values(), "handover_id", "initiated_at"),
        ("referral", facts.referrals.values(), "referral_id", "made_at"),
        ("meeting", facts.meetings.values(), "meeting_id", "scheduled_for"),
    )
    for kind, members, key, at in subjects:
        for record in members:
            owner = f"{kind}:{getattr(record, key)}"
            if wanted(owner):
                yield RecordRow(kind, owner, 0, getattr(record, at), None, record)
