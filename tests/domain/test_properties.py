"""Property: the Ledger never raises on random (mostly invalid) event sequences, and its
decisions replay deterministically from the accepted events alone."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from coord.domain import Accepted, Duplicate, InMemoryLog, Ledger
from coord.events import Event
from event_strategies import LONDON, NOW, event_lists


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_lists())
def test_ledger_never_raises_and_replays_deterministically(events: list[Event]) -> None:
    log = InMemoryLog()
    decisions = log.append_all(events, time_zone=LONDON, now=NOW, raise_on_reject=False)
    accepted = [d for d in decisions if isinstance(d, Accepted)]

    fresh = InMemoryLog()
    replayed = fresh.append_all([d.event for d in accepted], time_zone=LONDON, now=NOW)
    assert replayed == accepted

    # the same decisions when nothing is flushed until the end (the pending overlay)
    pending_log = InMemoryLog()
    ledger = Ledger(pending_log, time_zone=LONDON, now=NOW)
    overlay = []
    for event in events:
        decision = ledger.decide(event)
        if isinstance(decision, Accepted):
            ledger.accept(decision)
        overlay.append(decision)
    assert overlay == decisions
    for decision in overlay:
        if isinstance(decision, Accepted):
            pending_log.append(decision)
    ledger.flushed()
    assert pending_log.events() == log.events()
    assert all(isinstance(ledger.decide(d.event), Duplicate) for d in accepted)
