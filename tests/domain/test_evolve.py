"""The evolve functions make a stream's next state by a replacer of the fields each
event changes (:func:`coord.events.records.replacer`, not ``dataclasses.replace``, for
speed), given their values by position: each must change exactly the fields its event
changes and carry every other field over, in its place. A state whose fields all hold
distinct values shows a field dropped, reset or put in another's place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from datetime import datetime
from typing import Any

import pytest
from tests.domain.builders import ev

from coord.domain import case, handover, referral, transfer
from coord.domain.handover import HandoverState
from coord.domain.referral import ReferralState
from coord.domain.transfer import TransferState
from coord.events import Event, parse_timestamp

AT = "2025-11-20T10:00Z"
AT_UTC = parse_timestamp(AT)


def distinct(state_class: type[Any], **given: Any) -> Any:
    """A state whose every field holds a value of its own (``given`` ones as given)."""
    values = {f.name: f"<{f.name}>" for f in fields(state_class)}
    return state_class(**{**values, **given})


@pytest.mark.parametrize(
    ("state_class", "evolve", "event", "changes"),
    [
        (TransferState, transfer.evolve, ev("TransferSent", AT, transfer_id="T1"), {"sent_at": AT_UTC}),
        (
            TransferState, transfer.evolve, ev("TransferReceived", AT, transfer_id="T1"),
            {"closed": "received", "closed_at": AT_UTC},
        ),
        (
            TransferState, transfer.evolve, ev("TransferFailed", AT, transfer_id="T1", reason="lost"),
            {"closed": "marked failed", "closed_at": AT_UTC},
        ),
        (TransferState, transfer.evolve, ev("TransferChased", AT, transfer_id="T1"), {}),
        (
            ReferralState, referral.evolve, ev("ReferralReceived", AT, referral_id="R1"),
            {"received_at": AT_UTC},
        ),
        (
            ReferralState, referral.evolve, ev("ReferralAccepted", AT, referral_id="R1"),
            {"decision": "accepted", "decided_at": AT_UTC},
        ),
        (
            ReferralState, referral.evolve,
            ev("ReferralRejected", AT, referral_id="R1", reason="duplicate referral"),
            {"decision": "rejected", "decided_at": AT_UTC},
        ),
        (
            ReferralState, referral.evolve,
            ev("TreatmentStarted", AT, referral_id="R1", modality="chemotherapy"),
            {"treated_at": AT_UTC},
        ),
        (
            HandoverState, handover.evolve, ev("HandoverAcknowledged", AT, handover_id="H1"),
            {"response": "acknowledged", "responded_at": AT_UTC},
        ),
        (
            HandoverState, handover.evolve,
            ev("HandoverDeclined", AT, handover_id="H1", reason="not ours"),
            {"response": "declined", "responded_at": AT_UTC},
        ),
        (
            HandoverState, handover.evolve, ev("HandoverCompleted", AT, handover_id="H1"),
            {"completed_at": AT_UTC},
        ),
    ],
)  # fmt: skip
def test_evolve_changes_only_the_fields_of_its_event(
    state_class: type[Any],
    evolve: Callable[[Any, Event], Any],
    event: Event,
    changes: dict[str, Any],
) -> None:
    state = distinct(state_class)
    assert evolve(state, event) == replace(state, **changes)


EARLIER = datetime.fromisoformat("2025-11-01T09:00:00+00:00")
LISTINGS = (case.Listing("M0", EARLIER, "deferred", EARLIER), case.Listing("M1", EARLIER))
ACTIONS = (case.Action("A1", EARLIER), case.Action("A2", EARLIER))


def listed(**given: Any) -> case.CaseState:
    return distinct(case.CaseState, listings=LISTINGS, actions=ACTIONS, **given)


def test_case_relisted_adds_a_listing_and_keeps_the_rest() -> None:
    state = listed()
    relisted = case.evolve(state, ev("CaseRelisted", AT, case_id="C1", meeting_id="M2"))
    assert relisted == replace(state, listings=(*LISTINGS, case.Listing("M2", AT_UTC)))


@pytest.mark.parametrize("first_discussed_at", [None, EARLIER])
@pytest.mark.parametrize(
    ("event", "ended"),
    [
        (ev("CaseDeferred", AT, case_id="C1", meeting_id="M1", reason="other"), "deferred"),
        (ev("CaseDiscussed", AT, case_id="C1", meeting_id="M1", outcome="surgery"), "discussed"),
    ],
)
def test_case_deferral_or_discussion_ends_the_current_listing(
    event: Event, ended: str, first_discussed_at: datetime | None
) -> None:
    state = listed(first_discussed_at=first_discussed_at)
    changes: dict[str, Any] = {
        "listings": (LISTINGS[0], case.Listing("M1", EARLIER, ended, AT_UTC)),
    }
    if ended == "discussed" and first_discussed_at is None:
        changes["first_discussed_at"] = AT_UTC
    assert case.evolve(state, event) == replace(state, **changes)


def test_case_actions_are_agreed_and_completed_one_at_a_time() -> None:
    state = listed()
    agreed = case.evolve(
        state,
        ev(
            "ActionAgreed", AT, case_id="C1", action_id="A3", owner_site="S1",
            description="book", due="2025-11-25",
        ),
    )  # fmt: skip
    assert agreed == replace(state, actions=(*ACTIONS, case.Action("A3", AT_UTC)))
    completed = case.evolve(state, ev("ActionCompleted", AT, case_id="C1", action_id="A2"))
    assert completed == replace(state, actions=(ACTIONS[0], case.Action("A2", EARLIER, AT_UTC)))
