"""SMDT cases (SPEC §4): listing, items, deferral, discussion, relisting, actions,
outcomes."""

from __future__ import annotations

from typing import Any

import pytest

from .builders import World, ev, listed, meeting, referral


def c(type_: str, at: str, **data: Any) -> Any:
    return ev(type_, at, case_id="C1", **data)


def discussed(at: str = "2024-03-05T11:00Z", meeting_id: str = "M1") -> Any:
    return c("CaseDiscussed", at, meeting_id=meeting_id, outcome="surgery")


def deferred(at: str = "2024-03-05T11:00Z", meeting_id: str = "M1") -> Any:
    return c("CaseDeferred", at, meeting_id=meeting_id, reason="missing_information")


def relisted(at: str = "2024-03-05T12:00Z", meeting_id: str = "M2") -> Any:
    return c("CaseRelisted", at, meeting_id=meeting_id)


@pytest.fixture
def case(world: World) -> World:
    world.add(listed())
    return world


# --- listing ------------------------------------------------------------------------


def test_case_listed_accepted(world: World) -> None:
    world.accepts(listed())


def test_case_listed_twice_is_rejected(case: World) -> None:
    assert "already listed" in case.rejects(listed(at="2024-02-02T09:00Z", meeting_id="M2"))


def test_case_listed_for_unknown_meeting_is_rejected(world: World) -> None:
    assert "meeting M9 is not scheduled" in world.rejects(listed(meeting_id="M9"))


def test_case_listed_for_meeting_of_other_pathway_is_rejected(world: World) -> None:
    reason = world.rejects(listed(meeting_id="K1"))
    assert reason == "meeting K1 is for pathway kidney, not prostate"


def test_case_listed_for_unknown_patient_is_rejected(world: World) -> None:
    assert "patient P9 is not registered" in world.rejects(listed(patient_id="P9"))


def test_case_listed_for_unknown_presenting_site_is_rejected(world: World) -> None:
    assert "presenting_site S9" in world.rejects(listed(presenting_site="S9"))


def test_case_listed_at_meeting_time_accepted(world: World) -> None:
    world.accepts(listed(at="2024-03-05T10:00Z"))


def test_case_listed_after_meeting_is_rejected(world: World) -> None:
    assert "after meeting M1" in world.rejects(listed(at="2024-03-05T10:00:01Z"))


def test_case_listed_with_referral_of_same_patient_and_pathway_accepted(world: World) -> None:
    world.add(referral("R1"))
    world.accepts(listed(referral_id="R1"))


def test_case_listed_with_unknown_referral_is_rejected(world: World) -> None:
    assert "referral R1 has not been made" in world.rejects(listed(referral_id="R1"))


def test_case_listed_with_referral_of_other_patient_is_rejected(world: World) -> None:
    world.add(referral("R2", patient_id="P2"))
    assert "for patient P2" in world.rejects(listed(referral_id="R2"))


def test_case_listed_with_referral_of_other_pathway_is_rejected(world: World) -> None:
    world.add(referral("R3", pathway="kidney"))
    assert "for pathway kidney" in world.rejects(listed(referral_id="R3"))


# --- items --------------------------------------------------------------------------


def test_item_received_before_listing_time_accepted(case: World) -> None:
    case.accepts(c("ItemReceived", "2024-01-15T00:00Z", item="imaging"))
    case.accepts(c("ItemWaived", "2024-01-15T00:00Z", item="anything", reason="n/a"))


def test_item_received_before_case_listed_in_order_is_rejected(world: World) -> None:
    reason = world.rejects(c("ItemReceived", "2024-01-15T00:00Z", item="imaging"))
    assert "case C1 is not listed" in reason


# --- deferral and discussion ----------------------------------------------------------


def test_case_discussed_on_meeting_day_accepted(case: World) -> None:
    case.accepts(discussed())


def test_case_discussed_when_not_listed_is_rejected(world: World) -> None:
    assert "case C1 is not listed" in world.rejects(discussed())


def test_case_discussed_naming_other_meeting_is_rejected(case: World) -> None:
    reason = case.rejects(discussed("2024-03-12T11:00Z", meeting_id="M2"))
    assert "listed for meeting M1, not M2" in reason


def test_case_discussed_not_on_meeting_local_date_is_rejected(case: World) -> None:
    assert "not on the day of meeting M1" in case.rejects(discussed("2024-03-06T00:00Z"))


def test_case_discussed_late_summer_evening_belongs_to_next_local_day(world: World) -> None:
    world.add(meeting("MS", "2024-07-02T09:00Z", at="2024-06-01T00:00Z"))
    world.add(listed("C1", at="2024-06-10T00:00Z", meeting_id="MS"))
    # 23:30 UTC on 1 July is 00:30 on 2 July in London: the meeting's day
    world.accepts(discussed("2024-07-01T23:30Z", meeting_id="MS"))


def test_case_discussed_late_summer_evening_is_not_the_utc_date(world: World) -> None:
    world.add(meeting("MS", "2024-07-01T09:00Z", at="2024-06-01T00:00Z"))
    world.add(listed("C1", at="2024-06-10T00:00Z", meeting_id="MS"))
    reason = world.rejects(discussed("2024-07-01T23:30Z", meeting_id="MS"))
    assert "2024-07-01, local time" in reason


def test_case_discussed_before_listing_is_rejected(world: World) -> None:
    world.add(listed(at="2024-03-05T10:00Z"))
    assert "before case C1 was opened" in world.rejects(discussed("2024-03-05T09:00Z"))


def test_case_relisted_discussion_before_relisting_is_rejected(case: World) -> None:
    case.add(deferred("2024-03-01T00:00Z"), relisted("2024-03-02T00:00Z"))
    reason = case.rejects(discussed("2024-03-01T12:00Z", meeting_id="M2"))
    assert "before case C1 was listed for meeting M2" in reason


def test_case_deferred_before_meeting_day_accepted(case: World) -> None:
    case.accepts(deferred("2024-03-01T09:00Z"))


def test_case_deferred_after_meeting_day_is_rejected(case: World) -> None:
    assert "after the day of meeting M1" in case.rejects(deferred("2024-03-06T09:00Z"))


def test_listing_ends_at_most_once_is_rejected(case: World) -> None:
    case.add(deferred())
    assert "already ended" in case.rejects(discussed("2024-03-05T12:00Z"))
    assert "already ended" in case.rejects(deferred("2024-03-05T12:00Z"))


# --- relisting ----------------------------------------------------------------------


def test_case_relisted_after_deferral_accepted(case: World) -> None:
    case.add(deferred())
    case.accepts(relisted())


def test_case_relisted_after_discussion_accepted(case: World) -> None:
    case.add(discussed())
    case.accepts(relisted())
    case.accepts(discussed("2024-03-12T11:00Z", meeting_id="M2"))


def test_case_relisted_while_listing_open_is_rejected(case: World) -> None:
    assert "still listed for meeting M1" in case.rejects(relisted())


def test_case_relisted_before_listing_ended_in_time_is_rejected(case: World) -> None:
    case.add(deferred("2024-03-05T11:00Z"))
    assert "before case C1 was deferred" in case.rejects(relisted("2024-03-05T10:59Z"))


def test_case_relisted_for_meeting_already_listed_is_rejected(case: World) -> None:
    case.add(deferred("2024-03-01T00:00Z"))
    assert "already listed for meeting M1" in case.rejects(relisted("2024-03-02T00:00Z", "M1"))


def test_case_relisted_for_meeting_of_other_pathway_is_rejected(case: World) -> None:
    case.add(deferred())
    assert "pathway kidney, not prostate" in case.rejects(relisted(meeting_id="K1"))


def test_case_relisted_for_unknown_meeting_is_rejected(case: World) -> None:
    case.add(deferred())
    assert "meeting M9 is not scheduled" in case.rejects(relisted(meeting_id="M9"))


def test_case_relisted_for_meeting_not_after_relisting_is_rejected(case: World) -> None:
    case.add(deferred())
    assert "is not after the relisting" in case.rejects(relisted("2024-03-12T10:00Z"))


# --- actions ------------------------------------------------------------------------


def agreed(action_id: str = "A1", at: str = "2024-03-05T11:00Z", owner: str = "S1") -> Any:
    return c(
        "ActionAgreed",
        at,
        action_id=action_id,
        owner_site=owner,
        description="CT",
        due="2024-03-20",
    )


def test_action_agreed_accepted(case: World) -> None:
    case.accepts(agreed())


def test_action_id_unique_within_case_is_rejected(case: World) -> None:
    case.add(agreed())
    assert "already has an action A1" in case.rejects(agreed(at="2024-03-06T00:00Z"))


def test_action_owner_site_must_exist_is_rejected(case: World) -> None:
    assert "owner_site S9" in case.rejects(agreed(owner="S9"))


def test_action_completed_after_agreed_accepted(case: World) -> None:
    case.add(agreed())
    case.accepts(c("ActionCompleted", "2024-03-06T00:00Z", action_id="A1"))


def test_action_completed_without_agreement_is_rejected(case: World) -> None:
    assert "no agreed action A1" in case.rejects(
        c("ActionCompleted", "2024-03-06T00:00Z", action_id="A1")
    )


def test_action_completed_before_agreed_is_rejected(case: World) -> None:
    case.add(agreed())
    reason = case.rejects(c("ActionCompleted", "2024-03-05T10:00Z", action_id="A1"))
    assert "before action A1 was agreed" in reason


def test_action_completed_twice_is_rejected(case: World) -> None:
    case.add(agreed(), c("ActionCompleted", "2024-03-06T00:00Z", action_id="A1"))
    reason = case.rejects(c("ActionCompleted", "2024-03-07T00:00Z", action_id="A1"))
    assert "already completed" in reason


# --- outcome ------------------------------------------------------------------------


def test_outcome_communicated_after_discussion_accepted(case: World) -> None:
    case.add(discussed())
    case.accepts(c("OutcomeCommunicated", "2024-03-05T11:00Z", to_site="S2"))


def test_outcome_communicated_before_any_discussion_is_rejected(case: World) -> None:
    case.add(deferred())
    reason = case.rejects(c("OutcomeCommunicated", "2024-03-06T00:00Z", to_site="S2"))
    assert "has not been discussed" in reason


def test_outcome_communicated_before_discussion_time_is_rejected(case: World) -> None:
    case.add(discussed())
    reason = case.rejects(c("OutcomeCommunicated", "2024-03-05T10:00Z", to_site="S2"))
    assert "before case C1 was first discussed" in reason


def test_outcome_communicated_to_unknown_site_is_rejected(case: World) -> None:
    case.add(discussed())
    assert "to_site S9" in case.rejects(c("OutcomeCommunicated", "2024-03-06T00:00Z", to_site="S9"))
