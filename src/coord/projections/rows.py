"""Facts to read-model rows: one definition for the projector and for rebuild.

Each row is owned by the subject whose events produce it: a case owns its case record,
listings, discussions, deferrals and arrivals; a transfer, handover, referral or meeting
owns its record.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from coord.projections.codec import to_payload
from coord.reports import Facts
from coord.reports.records import Deferral, Discussion, Listing
from coord.store.readmodels import ModelRow


def rows_of(facts: Facts, owners: Collection[str] | None = None) -> Iterator[ModelRow]:
    """Every row the read models hold for these facts (only those of ``owners``, when
    given)."""
    if owners is not None:
        return (row for row in _rows(facts, set(owners)) if row.owner in owners)
    return _rows(facts, None)


def _rows(facts: Facts, owners: set[str] | None) -> Iterator[ModelRow]:
    def wanted(owner: str) -> bool:
        return owners is None or owner in owners

    for case in facts.cases.values():
        if wanted(f"case:{case.case_id}"):
            yield ModelRow(
                "case", f"case:{case.case_id}", 0, case.listed_at, None, to_payload(case)
            )
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
                yield ModelRow(
                    kind, owner, next_seq(kind, owner), step.occurred_at, step.meeting_id,
                    to_payload(step),
                )  # fmt: skip
    for (case_id, item), arrival in sorted(facts.arrivals.items()):
        owner = f"case:{case_id}"
        if not wanted(owner):
            continue
        yield ModelRow(
            "arrival", owner, next_seq("arrival", owner), arrival.arrived_at, item,
            to_payload(arrival),
        )  # fmt: skip
    for transfer in facts.transfers.values():
        owner = f"transfer:{transfer.transfer_id}"
        if wanted(owner):
            yield ModelRow(
                "transfer", owner, 0, transfer.requested_at, transfer.case_id,
                to_payload(transfer),
            )  # fmt: skip
    subjects: tuple[tuple[str, Iterable[Any], str, str], ...] = (
        ("handover", facts.handovers.values(), "handover_id", "initiated_at"),
        ("referral", facts.referrals.values(), "referral_id", "made_at"),
        ("meeting", facts.meetings.values(), "meeting_id", "scheduled_for"),
    )
    for kind, members, key, at in subjects:
        for record in members:
            owner = f"{kind}:{getattr(record, key)}"
            if wanted(owner):
                yield ModelRow(kind, owner, 0, getattr(record, at), None, to_payload(record))
