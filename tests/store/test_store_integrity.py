"""``verify``: the hash chain and the log's invariants, and tampering it must catch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from sqlalchemy import Connection, select, text, update
from store_helpers import at, patient, site

from coord.store import GENESIS_HASH, EventStore, verify
from coord.store.chain import row_hash
from coord.store.integrity import head
from coord.store.schema import events

TABLES = ("events", "event_references")


@contextmanager
def triggers_off(store: EventStore) -> Iterator[Connection]:
    """A transaction in which the append-only triggers do not fire (as a DBA could)."""
    with store.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            for table in TABLES:
                connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            yield connection
            for table in TABLES:
                connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        else:
            for table in TABLES:
                for action in ("update", "delete"):
                    connection.execute(text(f"DROP TRIGGER {table}_no_{action}"))
            yield connection


def _fill(store: EventStore) -> list[str]:
    records = [
        site("S1"),
        site("S2", recorded=at(1)),
        patient("P1", "S1", recorded=at(2)),
        site("S3", recorded=at(3)),
        site("S4", recorded=at(4)),
    ]
    with store.writing() as writer:
        writer.append(records)
    return [r.event.event_id for r in records]


def test_an_untouched_log_verifies(store: EventStore) -> None:
    assert verify(store.engine).ok
    assert head(store.engine) is None
    _fill(store)
    result = verify(store.engine, batch_size=2)
    assert result.ok and result.problem is None
    assert result.events == 5
    assert result.head == head(store.engine)
    assert result.describe().startswith("ok: 5 events")


def test_an_altered_row_is_reported(store: EventStore) -> None:
    ids = _fill(store)
    with triggers_off(store) as connection:
        connection.execute(
            text("UPDATE events SET data = :data WHERE position = 3"),
            {"data": '{"patient_id": "P9"}'},
        )
    result = verify(store.engine)
    assert not result.ok and result.problem is not None
    assert (result.problem.position, result.problem.event_id) == (3, ids[2])
    assert "altered" in result.problem.reason
    assert result.describe().startswith(f"event at position 3 (event_id {ids[2]}): ")
    assert result.events == 2


def test_an_altered_event_id_is_reported(store: EventStore) -> None:
    _fill(store)
    forged = "00000000-0000-4000-8000-000000000000"
    with triggers_off(store) as connection:
        connection.execute(
            text("UPDATE events SET event_id = :id WHERE position = 2"), {"id": forged}
        )
    problem = verify(store.engine).problem
    assert problem is not None and (problem.position, problem.event_id) == (2, forged)


def test_a_deleted_row_is_reported(store: EventStore) -> None:
    _fill(store)
    with triggers_off(store) as connection:
        connection.execute(text("DELETE FROM events WHERE position = 4"))
    problem = verify(store.engine).problem
    assert problem is not None
    assert (problem.position, problem.event_id) == (4, None)
    assert "deleted" in problem.reason
    assert verify(store.engine).describe().startswith("event at position 4: no event at")


def test_a_rehashed_row_breaks_the_link_to_the_next(store: EventStore) -> None:
    ids = _fill(store)
    with triggers_off(store) as connection:
        connection.execute(text("UPDATE events SET hash = :h WHERE position = 2"), {"h": "a" * 64})
    problem = verify(store.engine).problem
    assert problem is not None and (problem.position, problem.event_id) == (2, ids[1])


def _rechain(connection: Connection) -> None:
    """Recompute every hash, as a forger rewriting the whole chain would."""
    prev = GENESIS_HASH
    for row in connection.execute(select(events).order_by(events.c.position)).all():
        digest = row_hash(row, prev)
        connection.execute(
            update(events)
            .where(events.c.position == row.position)
            .values(prev_hash=prev, hash=digest)
        )
        prev = digest


def test_a_forged_hash_breaks_the_link_to_the_next_row(store: EventStore) -> None:
    ids = _fill(store)
    with triggers_off(store) as connection:
        row = connection.execute(select(events).where(events.c.position == 2)).one()
        forged = SimpleNamespace(**{**row._asdict(), "data": {**row.data, "name": "Forged"}})
        connection.execute(
            update(events)
            .where(events.c.position == 2)
            .values(data=forged.data, hash=row_hash(forged, row.prev_hash))
        )
    problem = verify(store.engine).problem
    assert problem is not None and (problem.position, problem.event_id) == (3, ids[2])
    assert "chain is broken" in problem.reason


def test_a_decreasing_recorded_at_is_reported(store: EventStore) -> None:
    ids = _fill(store)
    with triggers_off(store) as connection:
        connection.execute(update(events).where(events.c.position == 4).values(recorded_at=at(-10)))
        _rechain(connection)
    problem = verify(store.engine).problem
    assert problem is not None and (problem.position, problem.event_id) == (4, ids[3])
    assert "recorded_at" in problem.reason


def test_a_stream_version_gap_is_reported(store: EventStore) -> None:
    ids = _fill(store)
    with triggers_off(store) as connection:
        connection.execute(update(events).where(events.c.position == 5).values(version=2))
        _rechain(connection)
    problem = verify(store.engine).problem
    assert problem is not None and (problem.position, problem.event_id) == (5, ids[4])
    assert "version 2 where 1 was expected" in problem.reason
