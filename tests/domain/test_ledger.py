"""The Ledger: recorded_at (SPEC §2), duplicates (SPEC §3 Import), versions and the
pending overlay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from coord.domain import Accepted, Duplicate, InMemoryLog, Ledger, Rejected
from coord.events import parse_timestamp

from .builders import LONDON, World, ev, listed, network, retract

EID = "6f1c1a52-5d39-4a55-9d4b-3c1e1d3f9a01"


def site(
    site_id: str = "S9",
    *,
    eid: str | None = EID,
    recorded_at: str | None = None,
    at: str = "2024-01-05T00:00Z",
    name: str = "n",
) -> object:
    return ev(
        "SiteRegistered",
        at,
        eid=eid,
        recorded_at=recorded_at,
        site_id=site_id,
        name=name,
        specialist_for=[],
    )


# --- recorded_at --------------------------------------------------------------------


def test_default_recorded_at_is_now_on_an_empty_log(empty: World) -> None:
    decision = empty.decide(site())
    assert isinstance(decision, Accepted)
    assert decision.event.recorded_at == empty.now


def test_default_recorded_at_is_latest_stored_when_later_than_now(empty: World) -> None:
    later = empty.now + timedelta(minutes=3)
    empty.add(site("S1", eid=None, recorded_at=later.isoformat()))
    decision = empty.decide(site("S2", eid=None))
    assert isinstance(decision, Accepted) and decision.event.recorded_at == later


def test_default_recorded_at_same_for_every_event_of_one_ledger(empty: World) -> None:
    ledger = empty.ledger()
    times = []
    for n in range(3):
        decision = ledger.decide(site(f"S{n}", eid=None))
        assert isinstance(decision, Accepted)
        ledger.accept(decision)
        times.append(decision.event.recorded_at)
    assert times == [empty.now] * 3


def test_recorded_at_given_is_kept_accepted(empty: World) -> None:
    decision = empty.decide(site(recorded_at="2024-01-05T00:01Z"))
    assert isinstance(decision, Accepted)
    assert decision.event.recorded_at == parse_timestamp("2024-01-05T00:01Z")


def test_recorded_at_up_to_five_minutes_ahead_accepted(empty: World) -> None:
    empty.accepts(site(recorded_at="2026-01-01T00:05Z"))


def test_recorded_at_more_than_five_minutes_ahead_is_rejected(empty: World) -> None:
    reason = empty.rejects(site(recorded_at="2026-01-01T00:05:01Z"))
    assert "more than 5 minutes after the store's clock" in reason


def test_recorded_at_earlier_than_last_stored_is_rejected(empty: World) -> None:
    empty.add(site("S1", eid=None, recorded_at="2024-01-05T00:01Z"))
    reason = empty.rejects(site("S2", eid=None, recorded_at="2024-01-05T00:00Z"))
    assert "recorded_at never decreases" in reason
    empty.accepts(site("S2", eid=None, recorded_at="2024-01-05T00:01Z"))


def test_recorded_at_earlier_than_last_accepted_in_import_is_rejected(empty: World) -> None:
    ledger = empty.ledger()
    first = ledger.decide(site("S1", eid=None, recorded_at="2024-01-05T00:01Z"))
    assert isinstance(first, Accepted)
    ledger.accept(first)
    second = ledger.decide(site("S2", eid=None, recorded_at="2024-01-05T00:00Z"))
    assert isinstance(second, Rejected) and "never decreases" in second.reason


def test_recorded_now_replaces_given_recorded_at(empty: World) -> None:
    empty.add(site("S1", eid=None, recorded_at="2025-01-01T00:00Z"))
    ledger = empty.ledger(recorded_now=True)
    decision = ledger.decide(site("S2", eid=None, recorded_at="2024-01-01T00:00Z"))
    assert isinstance(decision, Accepted) and decision.event.recorded_at == empty.now


def test_default_after_a_later_given_recorded_at_never_decreases(empty: World) -> None:
    ledger = empty.ledger()
    ahead = empty.now + timedelta(minutes=4)
    first = ledger.decide(site("S1", eid=None, recorded_at=ahead.isoformat()))
    assert isinstance(first, Accepted)
    ledger.accept(first)
    second = ledger.decide(site("S2", eid=None))
    assert isinstance(second, Accepted) and second.event.recorded_at == ahead


# --- duplicates ---------------------------------------------------------------------


def test_duplicate_of_stored_event_is_skipped(empty: World) -> None:
    empty.add(site())
    assert empty.decide(site()) == Duplicate(EID)


def test_duplicate_compares_ids_case_insensitively(empty: World) -> None:
    empty.add(site())
    assert isinstance(empty.decide(site(eid=EID.upper())), Duplicate)


def test_duplicate_compares_occurred_at_as_instants(empty: World) -> None:
    empty.add(site(at="2024-01-05T00:00Z"))
    assert isinstance(empty.decide(site(at="2024-01-05T01:00+01:00")), Duplicate)


def test_duplicate_compares_timestamps_in_data_as_instants(empty: World) -> None:
    def scheduled(scheduled_for: str) -> Any:
        return ev(
            "MeetingScheduled",
            "2024-01-05T00:00Z",
            eid=EID,
            meeting_id="M1",
            pathway="p",
            host_site="S1",
            scheduled_for=scheduled_for,
            cutoff="2024-03-01T00:00Z",
        )

    empty.add(site("S1", eid=None), scheduled("2024-03-05T10:00Z"))
    assert isinstance(empty.decide(scheduled("2024-03-05T11:00+01:00")), Duplicate)
    assert "data differs in scheduled_for" in empty.rejects(scheduled("2024-03-05T11:00Z"))


def test_duplicate_with_same_recorded_at_is_skipped(empty: World) -> None:
    empty.add(site(recorded_at="2024-01-05T00:01Z"))
    assert isinstance(empty.decide(site(recorded_at="2024-01-05T00:01Z")), Duplicate)


def test_duplicate_without_recorded_at_ignores_stored_one(empty: World) -> None:
    empty.add(site(recorded_at="2024-01-05T00:01Z"))
    assert isinstance(empty.decide(site()), Duplicate)


def test_conflicting_duplicate_data_is_rejected(empty: World) -> None:
    empty.add(site())
    reason = empty.rejects(site(name="other"))
    assert reason == f"conflicting duplicate of event {EID}: data differs in name"


def test_conflicting_duplicate_occurred_at_is_rejected(empty: World) -> None:
    empty.add(site())
    assert "occurred_at differs" in empty.rejects(site(at="2024-01-05T00:01Z"))


def test_conflicting_duplicate_type_is_rejected(empty: World) -> None:
    empty.add(site())
    other = ev("PatientRegistered", "2024-01-05T00:00Z", eid=EID, patient_id="P1")
    assert "the type differs" in empty.rejects(other)


def test_conflicting_duplicate_recorded_at_is_rejected(empty: World) -> None:
    empty.add(site(recorded_at="2024-01-05T00:01Z"))
    assert "recorded_at differs" in empty.rejects(site(recorded_at="2024-01-05T00:02Z"))


def test_conflicting_duplicate_actor_is_rejected(empty: World) -> None:
    empty.add(site())
    with_actor = ev(
        "SiteRegistered",
        "2024-01-05T00:00Z",
        eid=EID,
        actor={"user": "u"},
        site_id="S9",
        name="n",
        specialist_for=[],
    )
    assert "actor differs" in empty.rejects(with_actor)


def test_duplicate_of_event_accepted_earlier_in_import(empty: World) -> None:
    ledger = empty.ledger()
    first = ledger.decide(site())
    assert isinstance(first, Accepted)
    ledger.accept(first)
    assert isinstance(ledger.decide(site()), Duplicate)
    second = ledger.decide(site(name="x"))
    assert isinstance(second, Rejected) and "conflicting duplicate" in second.reason


def test_conflicting_duplicate_never_quotes_nhs_number(empty: World) -> None:
    empty.add(
        ev(
            "PatientRegistered",
            "2024-01-05T00:00Z",
            eid=EID,
            patient_id="P1",
            nhs_number="9434765919",
        )
    )
    reason = empty.rejects(
        ev(
            "PatientRegistered",
            "2024-01-05T00:00Z",
            eid=EID,
            patient_id="P1",
            nhs_number="9434765870",
        )
    )
    assert "nhs_number" in reason and "9434765" not in reason


# --- versions and the pending overlay -------------------------------------------------


def test_version_counts_every_event_of_the_stream(world: World) -> None:
    world.add(listed())
    item = world.add(ev("ItemReceived", "2024-02-02T00:00Z", case_id="C1", item="imaging"))
    world.add(retract(item, "2024-02-03T00:00Z"))
    decision = world.decide(ev("ItemReceived", "2024-02-02T00:00Z", case_id="C1", item="x"))
    assert isinstance(decision, Accepted) and decision.version == 4


def test_pending_events_are_seen_before_flush_and_not_double_counted_after() -> None:
    log = InMemoryLog()
    network_log = network(World())
    events = network_log.log.events()
    ledger = Ledger(log, time_zone=LONDON, now=parse_timestamp("2026-01-01T00:00Z"))
    accepted = []
    for event in [
        *events,
        listed(),
        ev("ItemReceived", "2024-02-02T00:00Z", case_id="C1", item="imaging"),
    ]:
        decision = ledger.decide(event)
        assert isinstance(decision, Accepted), decision
        ledger.accept(decision)
        accepted.append(decision)
    assert len(log) == 0  # all of it was pending
    assert [d.version for d in accepted if d.stream == "case:C1"] == [1, 2]
    for decision in accepted:
        log.append(decision)
    ledger.flushed()
    after = ledger.decide(ev("ItemReceived", "2024-02-03T00:00Z", case_id="C1", item="x"))
    assert isinstance(after, Accepted) and after.version == 3
    assert isinstance(ledger.decide(accepted[0].event), Duplicate)


def test_pending_retraction_filters_stored_referrers(world: World) -> None:
    s3 = world.log.stream_events("site:S3")[0]
    mention = world.add(
        ev(
            "AttendanceRecorded",
            "2024-03-05T10:00Z",
            meeting_id="M1",
            attendee_id="a",
            site="S3",
            professional_group="ahp",
        )
    )
    ledger = world.ledger()
    first = ledger.decide(retract(mention, "2024-06-01T00:00Z"))
    assert isinstance(first, Accepted)
    ledger.accept(first)
    assert isinstance(ledger.decide(retract(s3, "2024-06-01T00:00Z")), Accepted)
    # the stored log alone still sees the reference
    assert isinstance(world.decide(retract(s3, "2024-06-01T00:00Z")), Rejected)


def test_decide_does_not_change_the_ledger(world: World) -> None:
    ledger = world.ledger()
    event = listed()
    assert isinstance(ledger.decide(event), Accepted)
    assert isinstance(ledger.decide(event), Accepted)  # not a duplicate: never accepted
