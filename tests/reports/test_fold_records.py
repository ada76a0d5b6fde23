"""The fold and the facts make their frozen records by a quicker path than the records'
own classes (:mod:`coord.events.records`: made as the class is called, and drafts
changed until read): what they hand out must be of the classes themselves and frozen
(the projector keeps the records it has written and compares them with the next ones),
and the facts the same as those derived from the log."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from coord.reports import FactBuilder, derive_facts, facts_of, records, retracted_ids
from coord.reports.fold import ListedCase, Step

from .builders import attendance, handover, meeting, referral, step, transfer
from .scenario import smdt_events

#: every kind of record the fold and the facts hand out
KINDS = {
    Step,
    ListedCase,
    records.Arrival,
    records.Case,
    records.Listing,
    records.Discussion,
    records.Deferral,
    records.Transfer,
    records.Handover,
    records.Referral,
    records.Meeting,
}


def test_the_records_handed_out_are_of_their_own_frozen_classes() -> None:
    log = [
        *smdt_events(),
        handover("H1", "2024-03-01T09:00Z"),
        step("HandoverAcknowledged", "H1", "2024-03-01T10:00Z"),
        referral("R1", "2024-03-01T09:00Z", "2024-02-28"),
        step("ReferralReceived", "R1", "2024-03-02T09:00Z"),
        transfer("T9", "2024-03-01T09:00Z"),
        step("TransferChased", "T9", "2024-03-02T09:00Z"),
        meeting("M9", "2024-03-12T10:00Z", "2024-03-11T12:00Z"),
        attendance("M9", "2024-03-12T10:00Z", "S1", "surgeon"),
    ]
    retracted = retracted_ids(log)
    builder = FactBuilder()
    for event in log:
        if event.event_id not in retracted and event.type != "EventRetracted":
            builder.apply(event)
    facts = facts_of(builder)
    assert facts == derive_facts(log)
    handed_out: list[Any] = [
        *builder.listings,
        *builder.endings,
        *builder.cases.values(),
        *facts.cases.values(),
        *facts.listings,
        *facts.discussions,
        *facts.deferrals,
        *facts.arrivals.values(),
        *facts.transfers.values(),
        *facts.handovers.values(),
        *facts.referrals.values(),
        *facts.meetings.values(),
    ]
    kinds = {type(r) for r in handed_out}
    assert kinds == KINDS
    for record in handed_out:
        first = dataclasses.fields(record)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(record, first, "changed")
    assert facts.transfers["T9"].chases == 1
    assert facts.meetings["M9"].sites_present == frozenset({"S1"})
    # a record copied with changes after it was read is made as its class makes it too
    builder.apply(step("TransferChased", "T9", "2024-03-03T09:00Z"))
    again = builder.transfers["T9"]
    assert type(again) is records.Transfer and again == dataclasses.replace(
        facts.transfers["T9"], chases=2
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        again.__setattr__("chases", 3)
