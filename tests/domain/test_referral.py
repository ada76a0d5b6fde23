"""Referrals (SPEC §4): made → received → accepted | rejected → treatment started."""

from __future__ import annotations

import pytest

from .builders import World, ev, referral


def step(type_: str, at: str, **data: str) -> object:
    return ev(type_, at, referral_id="R1", **data)


@pytest.fixture
def made(world: World) -> World:
    world.add(referral(at="2024-02-01T09:00Z"))
    return world


def test_referral_made_accepted(world: World) -> None:
    world.accepts(referral())


def test_referral_made_twice_is_rejected(made: World) -> None:
    assert "already made" in made.rejects(referral(at="2024-02-02T09:00Z"))


def test_referral_between_the_same_site_is_rejected(world: World) -> None:
    reason = world.rejects(referral(from_site="S1", to_site="S1"))
    assert "two different sites" in reason


def test_referral_to_unknown_site_is_rejected(world: World) -> None:
    assert "to_site S9 is not a registered site" in world.rejects(referral(to_site="S9"))


def test_referral_for_unknown_patient_is_rejected(world: World) -> None:
    assert "patient P9 is not registered" in world.rejects(referral(patient_id="P9"))


def test_referral_clock_start_on_local_date_accepted(world: World) -> None:
    # 23:30 UTC on 1 July is 2 July in London
    world.accepts(referral(at="2024-07-01T23:30Z", clock_start="2024-07-02"))


def test_referral_clock_start_after_local_date_is_rejected(world: World) -> None:
    reason = world.rejects(referral(at="2024-07-01T22:30Z", clock_start="2024-07-02"))
    assert "clock_start 2024-07-02" in reason


def test_referral_received_before_made_is_rejected(made: World) -> None:
    reason = made.rejects(step("ReferralReceived", "2024-02-01T08:59Z"))
    assert "before referral R1 was opened" in reason


def test_referral_received_without_referral_is_rejected(world: World) -> None:
    reason = world.rejects(step("ReferralReceived", "2024-02-01T08:59Z"))
    assert "referral R1 has not been made" in reason


def test_referral_received_once(made: World) -> None:
    made.accepts(step("ReferralReceived", "2024-02-01T09:00Z"))
    assert "already received" in made.rejects(step("ReferralReceived", "2024-02-02T09:00Z"))


def test_referral_accepted_after_received(made: World) -> None:
    assert "has not been received" in made.rejects(step("ReferralAccepted", "2024-02-03T00:00Z"))
    made.add(step("ReferralReceived", "2024-02-02T00:00Z"))
    assert "before referral R1 was received" in made.rejects(
        step("ReferralAccepted", "2024-02-01T23:00Z")
    )
    made.accepts(step("ReferralAccepted", "2024-02-02T00:00Z"))


def test_referral_rejected_after_received(made: World) -> None:
    assert "has not been received" in made.rejects(
        step("ReferralRejected", "2024-02-03T00:00Z", reason="no")
    )
    made.add(step("ReferralReceived", "2024-02-02T00:00Z"))
    made.accepts(step("ReferralRejected", "2024-02-03T00:00Z", reason="no"))


def test_referral_decision_once_is_rejected(made: World) -> None:
    made.add(
        step("ReferralReceived", "2024-02-02T00:00Z"), step("ReferralAccepted", "2024-02-03T00:00Z")
    )
    assert "already accepted" in made.rejects(
        step("ReferralRejected", "2024-02-04T00:00Z", reason="no")
    )
    assert "already accepted" in made.rejects(step("ReferralAccepted", "2024-02-04T00:00Z"))


def test_treatment_started_after_accepted(made: World) -> None:
    made.add(step("ReferralReceived", "2024-02-02T00:00Z"))
    assert "has not been accepted" in made.rejects(
        step("TreatmentStarted", "2024-02-05T00:00Z", modality="surgery")
    )
    made.add(step("ReferralAccepted", "2024-02-03T00:00Z"))
    assert "before referral R1 was accepted" in made.rejects(
        step("TreatmentStarted", "2024-02-02T12:00Z", modality="surgery")
    )
    made.accepts(step("TreatmentStarted", "2024-02-05T00:00Z", modality="surgery"))
    assert "already started" in made.rejects(
        step("TreatmentStarted", "2024-02-06T00:00Z", modality="surgery")
    )


def test_treatment_after_rejected_referral_is_rejected(made: World) -> None:
    made.add(
        step("ReferralReceived", "2024-02-02T00:00Z"),
        step("ReferralRejected", "2024-02-03T00:00Z", reason="no"),
    )
    assert "has not been accepted" in made.rejects(
        step("TreatmentStarted", "2024-02-05T00:00Z", modality="surgery")
    )
