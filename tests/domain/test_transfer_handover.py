"""Transfers and handovers (SPEC §4)."""

from __future__ import annotations

from typing import Any

import pytest

from .builders import World, ev, handover, listed, requested, retract


def t(type_: str, at: str, **data: Any) -> Any:
    return ev(type_, at, transfer_id="T1", **data)


def h(type_: str, at: str, **data: Any) -> Any:
    return ev(type_, at, handover_id="H1", **data)


@pytest.fixture
def transfer(world: World) -> World:
    world.add(requested(at="2024-02-01T09:00Z"))
    return world


@pytest.fixture
def initiated(world: World) -> World:
    world.add(handover(at="2024-02-01T09:00Z"))
    return world


# --- transfers ----------------------------------------------------------------------


def test_transfer_requested_accepted(world: World) -> None:
    world.accepts(requested())


def test_transfer_requested_twice_is_rejected(transfer: World) -> None:
    assert "already requested" in transfer.rejects(requested())


def test_transfer_between_the_same_site_is_rejected(world: World) -> None:
    assert "two different sites" in world.rejects(requested(from_site="S1", to_site="S1"))


def test_transfer_for_unknown_patient_or_site_is_rejected(world: World) -> None:
    assert "patient P9" in world.rejects(requested(patient_id="P9"))
    assert "from_site S9" in world.rejects(requested(from_site="S9"))


def test_transfer_for_case_of_same_patient_accepted(world: World) -> None:
    world.add(listed())
    world.accepts(requested(case_id="C1", at="2024-01-01T12:00Z"))  # before the listing: fine


def test_transfer_for_unknown_case_is_rejected(world: World) -> None:
    assert "case C1 is not listed" in world.rejects(requested(case_id="C1"))


def test_transfer_for_case_of_other_patient_is_rejected(world: World) -> None:
    world.add(listed())
    assert "for patient P1, not P2" in world.rejects(requested(case_id="C1", patient_id="P2"))


def test_transfer_sent_at_most_once_is_rejected(transfer: World) -> None:
    transfer.accepts(t("TransferSent", "2024-02-01T10:00Z"))
    assert "already sent" in transfer.rejects(t("TransferSent", "2024-02-01T11:00Z"))


def test_transfer_sent_before_requested_is_rejected(transfer: World) -> None:
    assert "before transfer T1 was opened" in transfer.rejects(
        t("TransferSent", "2024-02-01T08:00Z")
    )


def test_transfer_event_without_request_is_rejected(world: World) -> None:
    assert "transfer T1 has not been requested" in world.rejects(
        t("TransferChased", "2024-02-01T10:00Z")
    )


def test_transfer_chased_any_number_while_open_accepted(transfer: World) -> None:
    transfer.accepts(t("TransferChased", "2024-02-02T10:00Z"))
    transfer.accepts(t("TransferChased", "2024-02-03T10:00Z"))


def test_transfer_received_before_sent_is_rejected(transfer: World) -> None:
    transfer.add(t("TransferSent", "2024-02-02T10:00Z"))
    assert "before transfer T1 was sent" in transfer.rejects(
        t("TransferReceived", "2024-02-02T09:00Z")
    )


def test_transfer_received_without_being_sent_accepted(transfer: World) -> None:
    transfer.accepts(t("TransferReceived", "2024-02-02T09:00Z"))


def test_transfer_failed_after_sent_accepted(transfer: World) -> None:
    transfer.add(t("TransferSent", "2024-02-02T10:00Z"))
    transfer.accepts(t("TransferFailed", "2024-02-02T10:00Z", reason="bounced"))


def test_closed_transfer_takes_no_further_events_is_rejected(transfer: World) -> None:
    transfer.add(t("TransferFailed", "2024-03-02T10:00Z", reason="bounced"))
    reason = transfer.rejects(t("TransferReceived", "2024-03-03T10:00Z"))
    assert reason == (
        "transfer T1 was marked failed at 2024-03-02 10:00 UTC; it takes no further events: "
        "request a new transfer instead"
    )


def test_received_transfer_takes_no_further_events_is_rejected(transfer: World) -> None:
    transfer.add(t("TransferReceived", "2024-03-02T10:00Z"))
    assert "was received at" in transfer.rejects(t("TransferChased", "2024-03-03T10:00Z"))


def test_closed_transfer_takes_retractions_accepted(transfer: World) -> None:
    received = transfer.add(t("TransferReceived", "2024-03-02T10:00Z"))
    transfer.accepts(retract(received, "2024-03-03T10:00Z"))
    transfer.accepts(t("TransferReceived", "2024-03-02T11:00Z"))


# --- handovers ----------------------------------------------------------------------


def test_handover_initiated_within_one_site_accepted(world: World) -> None:
    world.accepts(handover(from_site="S1", to_site="S1"))


def test_handover_initiated_twice_is_rejected(initiated: World) -> None:
    assert "already initiated" in initiated.rejects(handover())


def test_handover_for_unknown_patient_or_site_is_rejected(world: World) -> None:
    assert "patient P9" in world.rejects(handover(patient_id="P9"))
    assert "to_site S9" in world.rejects(handover(to_site="S9"))


def test_handover_acknowledged_once_accepted(initiated: World) -> None:
    initiated.accepts(h("HandoverAcknowledged", "2024-02-02T09:00Z"))
    assert "already acknowledged" in initiated.rejects(
        h("HandoverAcknowledged", "2024-02-03T09:00Z")
    )
    assert "already acknowledged" in initiated.rejects(
        h("HandoverDeclined", "2024-02-03T09:00Z", reason="no")
    )


def test_handover_acknowledged_before_initiated_is_rejected(initiated: World) -> None:
    assert "before handover H1 was opened" in initiated.rejects(
        h("HandoverAcknowledged", "2024-02-01T08:00Z")
    )


def test_declined_handover_takes_no_further_events_is_rejected(initiated: World) -> None:
    initiated.accepts(h("HandoverDeclined", "2024-02-02T09:00Z", reason="wrong team"))
    reason = initiated.rejects(h("HandoverAcknowledged", "2024-02-03T09:00Z"))
    assert "was declined at 2024-02-02 09:00 UTC" in reason
    assert "declined" in initiated.rejects(h("HandoverCompleted", "2024-02-03T09:00Z"))


def test_handover_completed_after_acknowledged_accepted(initiated: World) -> None:
    initiated.add(h("HandoverAcknowledged", "2024-02-02T09:00Z"))
    initiated.accepts(h("HandoverCompleted", "2024-02-02T09:00Z"))
    assert "already completed" in initiated.rejects(h("HandoverCompleted", "2024-02-03T09:00Z"))


def test_handover_completed_without_acknowledgement_is_rejected(initiated: World) -> None:
    assert "not been acknowledged" in initiated.rejects(h("HandoverCompleted", "2024-02-03T09:00Z"))


def test_handover_completed_before_acknowledged_is_rejected(initiated: World) -> None:
    initiated.add(h("HandoverAcknowledged", "2024-02-02T09:00Z"))
    reason = initiated.rejects(h("HandoverCompleted", "2024-02-02T08:00Z"))
    assert "before handover H1 was acknowledged" in reason
