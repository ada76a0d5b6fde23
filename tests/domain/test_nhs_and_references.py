from __future__ import annotations

import hashlib

import pytest

from coord.domain import is_valid_nhs_number, nhs_key, references_of

from .builders import NHS_1, NHS_2, World, ev, listed, requested


@pytest.mark.parametrize("number", [NHS_1, NHS_2, "4010232137"])
def test_valid_nhs_numbers(number: str) -> None:
    assert is_valid_nhs_number(number)


@pytest.mark.parametrize(
    "number",
    [
        "9434765918",
        "943476591",
        "94347659190",
        "943 476 5919",
        "943476591a",
        "",
        "１２３４５６７８９０",
    ],
)
def test_invalid_nhs_numbers(number: str) -> None:
    assert not is_valid_nhs_number(number)


def test_nhs_check_digit_of_ten_is_invalid() -> None:
    # weights 10..2 over 000000001 -> sum 2 -> 11 - 2 = 9; 000000012: 2*3+... find one whose
    # remainder is 1 (check 10): digits 1,0,...,0,0 -> 10 -> 11-10=1; "0000000060": 6*2=12 -> 1
    assert not any(is_valid_nhs_number("000000006" + d) for d in "0123456789")


def test_nhs_check_digit_eleven_becomes_zero() -> None:
    assert is_valid_nhs_number("0000000000")


def test_nhs_key_hashes_the_number() -> None:
    assert nhs_key(NHS_1) == "nhs:" + hashlib.sha256(NHS_1.encode()).hexdigest()
    assert NHS_1 not in nhs_key(NHS_1)


def test_references_of_case_listed() -> None:
    event = listed(referral_id="R1")
    keys = [r.key for r in references_of(event, "case:C1")]
    assert keys == [
        "patient:P1",
        "meeting:M1",
        "referral:R1",
        "site:S2",
        "listing:prostate",
    ]
    assert all(r.at == event.occurred_at for r in references_of(event, "case:C1"))


def test_references_of_transfer_with_case() -> None:
    keys = {r.key for r in references_of(requested(case_id="C1"), "transfer:T1")}
    assert keys == {"patient:P1", "case:C1", "site:S1", "site:S2"}


def test_references_of_other_types() -> None:
    patient = ev("PatientRegistered", "2024-01-01T00:00Z", patient_id="P1", nhs_number=NHS_1)
    assert [r.key for r in references_of(patient, "patient:P1")] == [nhs_key(NHS_1)]
    site = ev("SiteRegistered", "2024-01-01T00:00Z", site_id="S1", name="x", specialist_for=[])
    assert references_of(site, "site:S1") == ()
    relisted = ev("CaseRelisted", "2024-01-01T00:00Z", case_id="C1", meeting_id="M2")
    assert [r.key for r in references_of(relisted, "case:C1")] == ["meeting:M2"]
    action = ev(
        "ActionAgreed",
        "2024-01-01T00:00Z",
        case_id="C1",
        action_id="A1",
        owner_site="S3",
        description="d",
        due="2024-02-01",
    )
    assert [r.key for r in references_of(action, "case:C1")] == ["site:S3"]
    told = ev("OutcomeCommunicated", "2024-01-01T00:00Z", case_id="C1", to_site="S2")
    assert [r.key for r in references_of(told, "case:C1")] == ["site:S2"]
    attendance = ev(
        "AttendanceRecorded",
        "2024-01-01T00:00Z",
        meeting_id="M1",
        attendee_id="a",
        site="S2",
        professional_group="surgeon",
    )
    assert [r.key for r in references_of(attendance, "meeting:M1")] == ["site:S2"]
    retraction = ev("EventRetracted", "2024-01-01T00:00Z", event_id=patient.event_id, reason="x")
    assert [r.key for r in references_of(retraction, "patient:P1")] == [f"event:{patient.event_id}"]


def test_handover_within_one_site_references_it_once() -> None:
    event = ev(
        "HandoverInitiated",
        "2024-01-01T00:00Z",
        handover_id="H1",
        patient_id="P1",
        from_site="S1",
        to_site="S1",
        from_role="a",
        to_role="b",
        reason="r",
    )
    assert [r.key for r in references_of(event, "handover:H1")] == ["patient:P1", "site:S1"]


def test_messages_never_quote_an_nhs_number(world: World) -> None:
    bad = ev("PatientRegistered", "2024-01-02T00:00Z", patient_id="P9", nhs_number="9434765918")
    assert "9434765918" not in world.rejects(bad)
    twin = ev("PatientRegistered", "2024-01-02T00:00Z", patient_id="P9", nhs_number=NHS_1)
    reason = world.rejects(twin)
    assert NHS_1 not in reason and "P1" in reason
