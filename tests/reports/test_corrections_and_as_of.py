"""Retractions (wherever they come in the log), late-logged facts, protocol versions, and
the as-of view (SPEC §2, §3, §5, §6)."""

from __future__ import annotations

from coord.events import Event, parse_timestamp
from coord.reports import FactBuilder, derive_facts, events_as_of, facts_of, retracted_ids

from .builders import (
    attendance,
    discussed,
    gaps,
    listed,
    meeting,
    protocol,
    received,
    retract,
    rows,
    run,
    step,
    transfer,
)
from .scenario import smdt_events


def _one_item_case() -> list[Event]:
    return [
        protocol("kidney", 1, ["imaging"]),
        meeting("K1", "2024-05-01T09:00Z", "2024-04-30T12:00Z", pathway="kidney"),
        listed("K-1", "K1", "2024-04-20T09:00Z", pathway="kidney"),
    ]


def test_a_retraction_long_after_its_target_removes_it() -> None:
    item = received("K-1", "imaging", "2024-04-25T09:00Z")
    events = [
        *_one_item_case(),
        item,
        discussed("K-1", "K1", "2024-05-01T09:10Z"),
        retract(item, "2024-09-01T09:00Z"),
    ]
    assert retracted_ids(events) == {item.event_id}
    total = run(events, "completeness")["total"]
    assert (total["complete_discussions"], total["items_available"]) == (0, 0)
    # before the retraction was recorded, the item counted
    before = run(events, "completeness", as_of="2024-08-31T00:00Z")
    assert before["as_of"] == "2024-08-31T00:00:00Z"
    assert before["total"]["complete_discussions"] == 1


def test_a_retracted_discussion_does_not_count_and_its_replacement_does() -> None:
    wrong = discussed("K-1", "K1", "2024-05-01T09:10Z")
    events = [
        *_one_item_case(),
        wrong,
        retract(wrong, "2024-05-01T10:00Z"),
        discussed("K-1", "K1", "2024-05-01T09:20Z"),
    ]
    facts = derive_facts(events)
    assert [d.occurred_at for d in facts.discussions] == [parse_timestamp("2024-05-01T09:20Z")]


def test_late_logged_items_count_live_and_not_as_of_before_they_were_recorded() -> None:
    events = [
        *_one_item_case(),
        discussed("K-1", "K1", "2024-05-01T09:10Z"),
        received("K-1", "imaging", "2024-04-30T09:00Z", recorded_at="2024-05-03T09:00Z"),
    ]
    assert run(events, "completeness")["total"]["complete_discussions"] == 1
    assert run(events, "meetings")["total"]["ready_at_cutoff"] == 1
    as_of = run(events, "completeness", as_of="2024-05-02T00:00Z")
    assert as_of["total"]["complete_discussions"] == 0
    assert gaps(events)["rows"] == []
    assert len(gaps(events, as_of="2024-05-02T00:00Z")["rows"]) == 1


def test_events_as_of_includes_retractions_recorded_by_then() -> None:
    events = smdt_events()
    cut = parse_timestamp("2024-03-28T10:00Z")
    known = events_as_of(events, cut)
    assert known == [e for e in events if e.recorded_at is not None and e.recorded_at <= cut]
    assert known[-1].type == "EventRetracted"


def test_transfers_only_count_for_their_case_and_item() -> None:
    events = [
        *_one_item_case(),
        transfer("T1", "2024-04-21T09:00Z", item="imaging"),  # no case_id
        step("TransferReceived", "T1", "2024-04-22T09:00Z"),
        transfer("T2", "2024-04-21T09:00Z", item="radiology_report", case_id="K-1"),
        step("TransferReceived", "T2", "2024-04-22T09:00Z"),
        discussed("K-1", "K1", "2024-05-01T09:10Z"),
    ]
    assert run(events, "completeness")["total"]["items_available"] == 0
    retracted_receipt = step("TransferReceived", "T3", "2024-04-23T09:00Z")
    events += [
        transfer("T3", "2024-04-21T09:00Z", item="imaging", case_id="K-1"),
        retracted_receipt,
        retract(retracted_receipt, "2024-04-23T10:00Z"),
    ]
    assert run(events, "completeness")["total"]["items_available"] == 0
    row = gaps(events)["rows"][0]
    assert (row["transfer_ids"], row["arrived_at"]) == (["T3"], None)


def test_protocol_in_force_is_fixed_at_the_listing_and_retracted_versions_do_not_count() -> None:
    v2 = protocol("kidney", 2, ["imaging", "radiology_report"], "2024-04-01T00:00Z")
    v3 = protocol("kidney", 3, ["imaging", "clinical_summary"], "2024-04-10T00:00Z")
    events = [
        protocol("kidney", 1, ["imaging"]),
        meeting("K1", "2024-05-01T09:00Z", "2024-04-30T12:00Z", pathway="kidney"),
        listed("K-OLD", "K1", "2024-03-20T09:00Z", pathway="kidney"),
        v2,
        v3,
        retract(v3, "2024-04-11T00:00Z"),
        listed("K-NEW", "K1", "2024-04-20T09:00Z", pathway="kidney"),
        # a listing at the very instant a version is published uses it (occurred_at ≤)
        listed("K-SAME", "K1", "2024-04-01T00:00Z", pathway="kidney"),
    ]
    facts = derive_facts(events)
    assert facts.cases["K-OLD"].required_items == ("imaging",)
    assert facts.cases["K-NEW"].required_items == ("imaging", "radiology_report")
    assert facts.cases["K-NEW"].protocol_version == 2
    assert facts.cases["K-SAME"].protocol_version == 2


def test_the_fold_can_be_fed_one_event_at_a_time() -> None:
    log = smdt_events()
    retracted = retracted_ids(log)
    builder = FactBuilder()
    for event in log:
        if event.event_id not in retracted and event.type != "EventRetracted":
            builder.apply(event)
    assert facts_of(builder) == derive_facts(log)
    assert rows(run(log, "completeness"))["S3"]["items_available"] == 2


def test_records_read_from_the_fold_are_never_changed_after() -> None:
    """The fold gives a record changed since it was added its changes before handing it
    out (once in a rebuild); a record once read stays as read (the projector compares
    the rows it wrote with those it makes next), the later changes given to a copy."""
    builder = FactBuilder()
    for event in (
        transfer("T1", "2024-05-01T09:00Z"),
        step("TransferSent", "T1", "2024-05-01T10:00Z"),
        step("TransferChased", "T1", "2024-05-01T11:00Z"),
        meeting("M1", "2024-05-02T09:00Z", "2024-05-01T12:00Z"),
        attendance("M1", "2024-05-02T09:00Z", "S1", "surgeon"),
    ):
        builder.apply(event)
    first, met = builder.transfers["T1"], builder.meetings["M1"]
    assert first.sent_at == parse_timestamp("2024-05-01T10:00Z") and first.chases == 1
    assert first.received_at is None and met.sites_present == frozenset({"S1"})
    builder.apply(step("TransferChased", "T1", "2024-05-01T12:00Z"))
    builder.apply(step("TransferReceived", "T1", "2024-05-01T13:00Z"))
    builder.apply(attendance("M1", "2024-05-02T09:05Z", "S2", "oncologist"))
    second = builder.transfers["T1"]
    assert (second.chases, second.received_at) == (2, parse_timestamp("2024-05-01T13:00Z"))
    assert builder.meetings["M1"].sites_present == frozenset({"S1", "S2"})
    assert (first.chases, first.received_at) == (1, None)
    assert met.sites_present == frozenset({"S1"})
    assert builder.transfers["T1"] is second  # unchanged since read: not copied again
