"""``reads_of`` names what deciding an event reads of the log, so that the store can load
it in one query first: every stream the rules load (but a retraction's target stream,
known only once the target is found) and every reference key they look up is named."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings

from coord.domain import Accepted, InMemoryLog, Ledger, Referrer
from coord.domain.references import reads_of
from coord.events import Event
from event_strategies import LONDON, NOW, event_lists


class WatchedLog(InMemoryLog):
    """An in-memory log that notes which streams and keys are read of it."""

    def __init__(self) -> None:
        super().__init__()
        self.streams: list[str] = []
        self.keys: list[str] = []

    def stream_events(self, stream: str) -> Sequence[Event]:
        self.streams.append(stream)
        return super().stream_events(stream)

    def referrers(self, key: str) -> Sequence[Referrer]:
        self.keys.append(key)
        return super().referrers(key)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=event_lists())
def test_reads_of_names_what_the_rules_read(events: list[Event]) -> None:
    log = WatchedLog()
    held = Ledger(log, time_zone=LONDON, now=NOW)  # holds the streams it has read
    for event in events:
        named = reads_of([event])
        assert event.event_id in named.event_ids
        assert set(held.reads([event]).streams) <= set(named.streams)
        log.streams.clear()
        log.keys.clear()
        # a ledger holding nothing reads every stream it needs of the log
        decision = Ledger(log, time_zone=LONDON, now=NOW).decide(event)
        if event.type != "EventRetracted":
            assert set(log.streams) <= set(named.streams), (event.type, log.streams)
            assert set(log.keys) <= set(named.keys), (event.type, log.keys)
        assert held.decide(event) == decision
        if isinstance(decision, Accepted):
            held.accept(decision)
            log.append(decision)
            held.flushed()


def test_a_retraction_names_its_target() -> None:
    from coord.events import decode_event

    retraction = decode_event(
        {
            "type": "EventRetracted",
            "occurred_at": datetime(2025, 1, 1, tzinfo=UTC).isoformat(),
            "data": {"event_id": "00000000-0000-4000-8000-000000000001", "reason": "r"},
        }
    )
    reads = reads_of([retraction])
    assert reads.event_ids == [retraction.event_id, "00000000-0000-4000-8000-000000000001"]
    assert reads.streams == []
