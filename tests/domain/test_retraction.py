"""Corrections (SPEC §3): validity of EventRetracted."""

from __future__ import annotations

from typing import Any

from coord.domain import Accepted

from .builders import World, ev, listed, referral, requested, retract


def c(type_: str, at: str, **data: Any) -> Any:
    return ev(type_, at, case_id="C1", **data)


def attendance(at: str = "2024-03-05T10:00Z", site: str = "S2", meeting_id: str = "M1") -> Any:
    return ev(
        "AttendanceRecorded",
        at,
        meeting_id=meeting_id,
        attendee_id="dr-a",
        site=site,
        professional_group="surgeon",
    )


def test_retract_then_record_corrected_fact_accepted(world: World) -> None:
    world.add(listed())
    wrong = world.add(c("CaseDiscussed", "2024-03-05T11:00Z", meeting_id="M1", outcome="wrong"))
    world.accepts(retract(wrong, "2024-03-05T12:00Z"))
    world.accepts(c("CaseDiscussed", "2024-03-05T11:00Z", meeting_id="M1", outcome="right"))


def test_retraction_belongs_to_target_stream(world: World) -> None:
    wrong = world.add(attendance())
    decision = world.decide(retract(wrong, "2024-03-05T12:00Z"))
    assert isinstance(decision, Accepted)
    assert decision.stream == "meeting:M1"
    assert decision.version == 3  # MeetingScheduled, AttendanceRecorded, then this
    assert [r.key for r in decision.references] == [f"event:{wrong.event_id}"]


def test_retract_unknown_event_is_rejected(world: World) -> None:
    event = ev(
        "EventRetracted",
        "2024-03-05T12:00Z",
        event_id="00000000-0000-4000-8000-000000000000",
        reason="x",
    )
    assert "is not in the log" in world.rejects(event)


def test_double_retraction_is_rejected(world: World) -> None:
    wrong = world.add(attendance())
    world.add(retract(wrong, "2024-03-05T12:00Z"))
    assert "already retracted" in world.rejects(retract(wrong, "2024-03-05T13:00Z"))


def test_retracting_a_retraction_is_rejected(world: World) -> None:
    wrong = world.add(attendance())
    retraction = world.add(retract(wrong, "2024-03-05T12:00Z"))
    assert "is itself a retraction" in world.rejects(retract(retraction, "2024-03-05T13:00Z"))


def test_retraction_before_its_target_is_rejected(world: World) -> None:
    wrong = world.add(attendance("2024-03-05T10:00Z"))
    assert "before the AttendanceRecorded" in world.rejects(retract(wrong, "2024-03-05T09:59Z"))


def test_retraction_before_stream_opener_is_rejected(world: World) -> None:
    world.add(listed(at="2024-02-01T09:00Z"))
    early = world.add(c("ItemReceived", "2024-01-10T00:00Z", item="imaging"))
    assert "before case:C1 was opened" in world.rejects(retract(early, "2024-01-20T00:00Z"))
    world.accepts(retract(early, "2024-02-01T09:00Z"))


def test_retract_opener_with_other_events_is_rejected(world: World) -> None:
    opener = world.add(listed())
    item = world.add(c("ItemReceived", "2024-02-02T00:00Z", item="imaging"))
    reason = world.rejects(retract(opener, "2024-02-03T00:00Z"))
    assert "opens case:C1" in reason and "retract those first" in reason
    world.add(retract(item, "2024-02-03T00:00Z"))
    world.accepts(retract(opener, "2024-02-03T00:00Z"))


def test_retraction_leaving_stream_invalid_is_rejected(world: World) -> None:
    world.add(referral())
    received = world.add(ev("ReferralReceived", "2024-02-02T00:00Z", referral_id="R1"))
    accepted = world.add(ev("ReferralAccepted", "2024-02-03T00:00Z", referral_id="R1"))
    reason = world.rejects(retract(received, "2024-02-04T00:00Z"))
    assert "would leave referral:R1 invalid" in reason and "ReferralAccepted" in reason
    world.add(retract(accepted, "2024-02-04T00:00Z"))
    world.accepts(retract(received, "2024-02-04T00:00Z"))


def test_retract_deferral_followed_by_relisting_is_rejected(world: World) -> None:
    world.add(listed())
    deferral = world.add(c("CaseDeferred", "2024-03-01T00:00Z", meeting_id="M1", reason="time"))
    world.add(c("CaseRelisted", "2024-03-02T00:00Z", meeting_id="M2"))
    assert "would leave case:C1 invalid" in world.rejects(retract(deferral, "2024-03-03T00:00Z"))


def test_retract_transfer_closing_reopens_it_accepted(world: World) -> None:
    world.add(requested())
    failed = world.add(ev("TransferFailed", "2024-02-02T00:00Z", transfer_id="T1", reason="x"))
    world.add(retract(failed, "2024-02-03T00:00Z"))
    world.accepts(ev("TransferChased", "2024-02-04T00:00Z", transfer_id="T1"))


def test_retract_site_still_referenced_is_rejected(world: World) -> None:
    s1 = world.log.stream_events("site:S1")[0]
    reason = world.rejects(retract(s1, "2024-06-01T00:00Z"))
    assert "site:S1 is still referenced" in reason and "meeting:" in reason


def test_retract_site_no_longer_referenced_accepted(world: World) -> None:
    s3 = world.log.stream_events("site:S3")[0]
    mention = world.add(attendance(site="S3"))
    assert "still referenced" in world.rejects(retract(s3, "2024-06-01T00:00Z"))
    world.add(retract(mention, "2024-06-01T00:00Z"))
    world.accepts(retract(s3, "2024-06-01T00:00Z"))


def test_retract_patient_referenced_by_case_is_rejected(world: World) -> None:
    world.add(listed(patient_id="P2"))
    p2 = world.log.stream_events("patient:P2")[0]
    assert "patient:P2 is still referenced" in world.rejects(retract(p2, "2024-06-01T00:00Z"))


def test_retract_case_referenced_by_transfer_is_rejected(world: World) -> None:
    case = world.add(listed())
    world.add(requested(case_id="C1"))
    assert "transfer:T1" in world.rejects(retract(case, "2024-06-01T00:00Z"))


def test_retract_meeting_with_listed_case_is_rejected(world: World) -> None:
    world.add(listed())
    m1 = world.log.stream_events("meeting:M1")[0]
    assert "case:C1" in world.rejects(retract(m1, "2024-06-01T00:00Z"))


def test_retract_protocol_in_force_is_rejected(world: World) -> None:
    world.add(listed())
    v1 = world.log.stream_events("protocol:prostate")[0]
    reason = world.rejects(retract(v1, "2024-06-01T00:00Z"))
    assert "is in force for case C1" in reason


def test_retract_protocol_not_in_force_accepted(world: World) -> None:
    world.add(listed(at="2024-02-01T09:00Z"))
    v2 = world.add(
        ev(
            "ProtocolPublished",
            "2024-02-02T00:00Z",
            pathway="prostate",
            version=2,
            required_items=["imaging"],
        )
    )
    world.accepts(retract(v2, "2024-06-01T00:00Z"))


def test_protocol_versions_are_independent_for_retraction(world: World) -> None:
    v1 = world.log.stream_events("protocol:prostate")[0]
    world.add(
        ev(
            "ProtocolPublished",
            "2024-01-02T00:00Z",
            pathway="prostate",
            version=2,
            required_items=["imaging"],
        )
    )
    world.accepts(retract(v1, "2024-06-01T00:00Z"))


def test_retract_protocol_in_force_of_retracted_case_accepted(world: World) -> None:
    case = world.add(listed())
    world.add(retract(case, "2024-02-02T00:00Z"))
    v1 = world.log.stream_events("protocol:prostate")[0]
    world.accepts(retract(v1, "2024-06-01T00:00Z"))


def test_reopened_stream_after_opener_retracted_accepted(world: World) -> None:
    case = world.add(listed())
    world.add(retract(case, "2024-02-02T00:00Z"))
    decision = world.decide(listed(at="2024-02-03T00:00Z", meeting_id="M2"))
    assert isinstance(decision, Accepted) and decision.version == 3
