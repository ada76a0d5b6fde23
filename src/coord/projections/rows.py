"""Facts to read-model rows: one definition for the projector and for rebuild.

Each row is owned by the subject whose events produce it: a case owns its case record,
listings, discussions, deferrals and arrivals; a transfer, handover, referral or meeting
owns its record.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from coord.projections.codec import to_payload
from coord.reports import Facts
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

    for listing in facts.listings:
        owner = f"case:{listing.case_id}"
        if not wanted(owner):
            continue
        yield ModelRow(
            "listing", owner, next_seq("listing", owner), listing.occurred_at,
            listing.meeting_id, to_payload(listing),
        )  # fmt: skip
    for discussion in facts.discussions:
        owner = f"case:{discussion.case_id}"
        if not wanted(owner):
            continue
        yield ModelRow(
            "discussion", owner, next_seq("discussion", owner), discussion.occurred_at,
            discussion.meeting_id, to_payload(discussion),
        )  # fmt: skip
    for deferral in facts.deferrals:
        owner = f"case:{deferral.case_id}"
        if not wanted(owner):
            continue
        yield ModelRow(
            "deferral", owner, next_seq("deferral", owner), deferral.occurred_at,
            deferral.meeting_id, to_payload(deferral),
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
        if not wanted(f"transfer:{transfer.transfer_id}"):
            continue
        yield ModelRow(
            "transfer", f"transfer:{transfer.transfer_id}", 0, transfer.requested_at,
            transfer.case_id, to_payload(transfer),
        )  # fmt: skip
    for handover in facts.handovers.values():
        if not wanted(f"handover:{handover.handover_id}"):
            continue
        yield ModelRow(
            "handover", f"handover:{handover.handover_id}", 0, handover.initiated_at, None,
            to_payload(handover),
        )  # fmt: skip
    for referral in facts.referrals.values():
        if not wanted(f"referral:{referral.referral_id}"):
            continue
        yield ModelRow(
            "referral", f"referral:{referral.referral_id}", 0, referral.made_at, None,
            to_payload(referral),
        )  # fmt: skip
    for meeting in facts.meetings.values():
        if not wanted(f"meeting:{meeting.meeting_id}"):
            continue
        yield ModelRow(
            "meeting", f"meeting:{meeting.meeting_id}", 0, meeting.scheduled_for, None,
            to_payload(meeting),
        )  # fmt: skip
