"""The event log contract, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from store_helpers import at, patient, retraction, site

from coord.events import encode_event
from coord.store import GENESIS_HASH, ConcurrencyError, DuplicateEventError, EventStore
from coord.store.schema import events


def test_append_and_read_round_trip(store: EventStore) -> None:
    records = [site("S1"), site("S2", recorded=at(1)), patient("P1", "S1", recorded=at(2))]
    with store.writing() as writer:
        assert writer.head() is None
        assert writer.last_recorded_at() is None
        assert writer.append(records[:2]) == [1, 2]
        assert writer.append(records[2:]) == [3]
    with store.reading() as reader:
        stored = list(reader.read_all())
        assert reader.count() == 3
        head = reader.head()
        assert reader.last_recorded_at() == at(2)
    assert [s.position for s in stored] == [1, 2, 3]
    assert [encode_event(s.event) for s in stored] == [encode_event(r.event) for r in records]
    assert [(s.stream, s.version) for s in stored] == [
        ("site:S1", 1),
        ("site:S2", 1),
        ("patient:P1", 1),
    ]
    assert stored[0].prev_hash == GENESIS_HASH
    assert [s.prev_hash for s in stored[1:]] == [s.hash for s in stored[:-1]]
    assert head == (3, stored[-1].hash)
    # timestamps come back aware, in UTC, with their microseconds
    assert stored[0].event.occurred_at == datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
    assert stored[0].event.occurred_at.tzinfo is UTC
    assert stored[2].event.actor is not None and stored[2].event.actor.user == "ana"


def test_read_all_pages_and_resumes(store: EventStore) -> None:
    with store.writing() as writer:
        writer.append([site(f"S{i:02d}", recorded=at(i)) for i in range(25)])
    with store.reading() as reader:
        assert [s.position for s in reader.read_all(batch_size=7)] == list(range(1, 26))
        assert [s.position for s in reader.read_all(after_position=20, batch_size=2)] == [
            21,
            22,
            23,
            24,
            25,
        ]


def test_writer_reads_its_own_appends(store: EventStore) -> None:
    first = site("S1")
    with store.writing() as writer:
        writer.append([first])
        assert writer.stream_version("site:S1") == 1
        assert [e.event_id for e in writer.stream_events("site:S1")] == [first.event.event_id]
        found = writer.find_event(first.event.event_id.upper())
        assert found is not None and found.stream == "site:S1"
        assert encode_event(found.event) == encode_event(first.event)
        assert writer.find_event("00000000-0000-4000-8000-000000000000") is None
        assert writer.last_recorded_at() == at(0)
        writer.append([site("S1", version=2, recorded=at(3))])
        assert writer.stream_version("site:S1") == 2
        assert len(writer.stream_events("site:S1")) == 2


def test_expected_version_conflict(store: EventStore) -> None:
    with store.writing() as writer:
        writer.append([site("S1")])
    expected = r"stream site:S1 expected at version 0 but is at 1"
    with pytest.raises(ConcurrencyError, match=expected), store.writing() as writer:
        writer.append([site("S2"), site("S1")])
    with store.reading() as reader:
        assert reader.count() == 1


def test_conflict_within_one_batch(store: EventStore) -> None:
    expected = "expected at version 0 but is at 1"
    with pytest.raises(ConcurrencyError, match=expected), store.writing() as writer:
        writer.append([site("S1"), site("S1")])


def test_conflict_can_be_caught_inside_the_unit_of_work(store: EventStore) -> None:
    with store.writing() as writer:
        writer.append([site("S1")])
        with pytest.raises(ConcurrencyError):
            writer.append([site("S2"), site("S1", version=3)])
        assert writer.append([site("S3", recorded=at(1))]) == [2]
    with store.reading() as reader:
        assert [s.event.data.site_id for s in reader.read_all()] == ["S1", "S3"]  # type: ignore[attr-defined]


def test_duplicate_event_id_is_refused(store: EventStore) -> None:
    first = site("S1")
    with store.writing() as writer:
        writer.append([first])
    with pytest.raises(DuplicateEventError), store.writing() as writer:
        writer.append([site("S2", event_id=first.event.event_id)])


def test_recorded_at_may_not_decrease(store: EventStore) -> None:
    with store.writing() as writer:
        writer.append([site("S1", recorded=at(5))])
    with pytest.raises(ValueError, match="earlier than the last stored"), store.writing() as writer:
        writer.append([site("S2", recorded=at(4))])


def test_rollback_leaves_nothing_written(store: EventStore) -> None:
    with pytest.raises(RuntimeError), store.writing() as writer:
        writer.append([site("S1"), patient("P1", "S1")])
        raise RuntimeError("boom")
    with store.reading() as reader:
        assert reader.count() == 0
        assert reader.head() is None
        assert reader.referrers("site:S1") == []


def test_positions_are_gap_free_after_a_failed_unit_of_work(store: EventStore) -> None:
    with store.writing() as writer:
        writer.append([site("S1")])
    with pytest.raises(ConcurrencyError), store.writing() as writer:
        writer.append([site("S2", recorded=at(1))])
        writer.append([site("S1", recorded=at(1))])
    with store.writing() as writer:
        assert writer.append([site("S3", recorded=at(2))]) == [2]
    with store.engine.connect() as connection:
        positions = connection.execute(select(events.c.position).order_by("position")).scalars()
        assert list(positions) == [1, 2]


def test_referrers_exclude_retracted_events(store: EventStore) -> None:
    p1, p2 = patient("P1", "S1"), patient("P2", "S1")
    with store.writing() as writer:
        writer.append([site("S1"), p1, p2])
        referrers = writer.referrers("site:S1")
        assert [r.event_id for r in referrers] == [p1.event.event_id, p2.event.event_id]
        assert referrers[0].stream == "patient:P1"
        assert referrers[0].at == p1.event.occurred_at
        writer.append([retraction(p1, version=2)])
        assert [r.event_id for r in writer.referrers("site:S1")] == [p2.event.event_id]
        assert writer.referrers("site:nowhere") == []
    with store.reading() as reader:
        assert [r.event_id for r in reader.referrers("site:S1")] == [p2.event.event_id]
        target = reader.referrers(f"event:{p1.event.event_id}")
        assert [r.stream for r in target] == ["patient:P1"]


def test_records_need_recorded_at(store: EventStore) -> None:
    record = site("S1")
    unrecorded = replace(record, event=replace(record.event, recorded_at=None))
    with pytest.raises(ValueError, match="no recorded_at"), store.writing() as writer:
        writer.append([unrecorded])


def test_prefetched_answers_are_replaced_by_an_append(store: EventStore) -> None:
    first, second = site("S1"), site("S2", recorded=at(1))
    with store.writing() as writer:
        writer.append([first])
        writer.prefetch(
            [first.event.event_id.upper(), second.event.event_id], ["site:S1", "site:S2"]
        )
        found = writer.find_event(first.event.event_id)
        assert found is not None and found.stream == "site:S1"
        assert writer.find_event(second.event.event_id) is None
        assert [e.event_id for e in writer.stream_events("site:S1")] == [first.event.event_id]
        assert writer.stream_events("site:S2") == []
        writer.append([second])
        # the prefetched "absent" answers must not outlive the append
        assert writer.find_event(second.event.event_id) is not None
        assert [e.event_id for e in writer.stream_events("site:S2")] == [second.event.event_id]
