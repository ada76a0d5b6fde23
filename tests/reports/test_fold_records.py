"""The fold and the facts make their frozen records by a quicker path than the records'
own classes (:func:`coord.reports.fold.made_as`, and drafts frozen when handed out):
what they hand out must be exactly what the classes make - of the class itself, equal,
hashing the same, and frozen (the projector keeps the records it has written and
compares them with the next ones)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest

from coord.reports import FactBuilder, derive_facts, facts_of, records, retracted_ids
from coord.reports.fold import ListedCase, Step, made_as

from .builders import attendance, handover, meeting, referral, step, transfer
from .scenario import smdt_events

AT = datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
EXAMPLES: list[tuple[type[Any], tuple[Any, ...]]] = [
    (Step, ("C1", "M1", "deferred", AT, "missing_information")),
    (ListedCase, ("P1", "prostate", "S2")),
    (records.Arrival, ("C1", "imaging", AT, "transfer", 7)),
    (records.Case, ("C1", "P1", "prostate", "S2", AT, ("imaging",), 2)),
    (records.Listing, ("C1", "M1", "relisted", AT, "prostate", "S2", ("imaging",), True)),
    (records.Discussion, ("C1", "M1", "P1", "prostate", "S2", AT, ("imaging",), ())),
    (records.Deferral, ("C1", "M1", "P1", "prostate", "S2", AT, "no_time", ("imaging",), ())),
    (records.Transfer, ("T1", "P1", "imaging", "S1", "S2", "portal", None, AT)),
    (records.Handover, ("H1", "P1", "S1", "S2", AT, None, AT)),
    (records.Referral, ("R1", "P1", "prostate", "S1", "S2", "urgent", date(2024, 3, 1), AT)),
    (records.Meeting, ("M1", "prostate", "S1", AT, AT, 1, frozenset({"S1", "S2"}))),
]


@pytest.mark.parametrize(("cls", "values"), EXAMPLES, ids=lambda x: getattr(x, "__name__", ""))
def test_a_record_made_quickly_is_the_record_its_class_makes(
    cls: type[Any], values: tuple[Any, ...]
) -> None:
    made, expected = made_as(cls)(*values), cls(*values)
    assert type(made) is cls
    assert made == expected and hash(made) == hash(expected) and repr(made) == repr(expected)
    assert dataclasses.astuple(made) == dataclasses.astuple(expected)  # defaults included
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.__setattr__(dataclasses.fields(cls)[0].name, "changed")
    names = {f.name: getattr(expected, f.name) for f in dataclasses.fields(cls)}
    assert made_as(cls)(**names) == expected  # by keyword too


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
    assert kinds == {cls for cls, _ in EXAMPLES}
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
