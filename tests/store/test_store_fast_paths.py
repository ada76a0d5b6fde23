"""The store's quick paths, on SQLite and PostgreSQL: rows written by the driver itself
(``executemany``; PostgreSQL ``COPY``) are stored exactly as SQLAlchemy's ``insert`` stores
them; one query answers what a command's rules read; a batch that collides is refused
whole and the unit of work goes on; an import in large batches with a small ledger cache
decides as the pure ledger does."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine, event, insert, select
from store_helpers import at, patient, retraction, site
from test_import_properties import check_import_matches_ledger

from coord.app import importing
from coord.app.importing import import_files
from coord.app.recording import record
from coord.domain import ledger as ledger_module
from coord.domain.log import Accepted, Referrer
from coord.events import decode_event, encode_event
from coord.store import DuplicateEventError, EventStore, create_engine_for, upgrade, verify
from coord.store import log as store_log
from coord.store.schema import event_references, events
from event_strategies import NOW, event_lists


def _batch() -> list[Accepted]:
    """Records of every shape a row can take: an actor or none, microseconds or none,
    a time given with an offset, references or none, a retraction."""
    records = [site(f"S{n:02d}", recorded=at(n)) for n in range(25)]
    records.append(site("SX", recorded=at(30), actor={"user": "u", "role": "", "site": "S01"}))
    records += [patient(f"P{n}", f"S{n:02d}", recorded=at(31 + n)) for n in range(3)]
    records.append(retraction(records[-1], version=2, recorded=at(40)))
    return records


def _raw_rows(engine: Engine) -> list[tuple[Any, ...]]:
    """Every stored row as the database holds it (text of timestamps and JSON)."""
    postgresql = engine.dialect.name == "postgresql"
    cast = "::text" if postgresql else ""
    columns = ", ".join(
        f"{name}{cast}" if name in ("occurred_at", "recorded_at", "actor", "data", "at") else name
        for name in ("position", "event_id", "stream", "version", "type", "schema_version",
                     "occurred_at", "recorded_at", "actor", "data", "prev_hash", "hash")
    )  # fmt: skip
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"SELECT {columns} FROM events ORDER BY position")
        out = [tuple(row) for row in rows]
        refs = connection.exec_driver_sql(
            f'SELECT position, ordinal, "key", at{cast} FROM event_references'
            " ORDER BY position, ordinal"
        )
        return out + [tuple(row) for row in refs]


def test_prefetched_events_are_the_events_the_log_reads(store: EventStore) -> None:
    """The prefetch's own query (the driver's SQL on SQLite) gives the very events, field
    for field (aware UTC instants, actor, data), that the log's reads give, and the head."""
    records = _batch()
    with store.writing() as writer:
        writer.append(records)
    streams = list(dict.fromkeys(r.stream for r in records))
    ids = [r.event.event_id for r in records]
    with store.reading() as reader:
        expected_streams = {s: reader.stream_events(s) for s in streams}
        expected_found = {i: reader.find_event(i) for i in ids}
        expected_head = reader.head()
    with store.writing() as writer:
        writer.prefetch(ids, streams)
        assert writer.head() == expected_head
        assert writer.last_recorded_at() == at(40)
        for stream, expected in expected_streams.items():
            assert writer.stream_events(stream) == expected
            assert writer.stream_version(stream) == len(expected)
        for event_id, ref in expected_found.items():
            assert writer.find_event(event_id) == ref
    every = [e for stream in expected_streams.values() for e in stream]
    assert {e.occurred_at.tzinfo for e in every} == {UTC}
    assert {e.actor is None for e in every} == {True, False}


def test_referrers_are_those_of_sqlalchemys_query(store: EventStore) -> None:
    """The referrers of keys (SQLite: the driver's own SQL) are those SQLAlchemy's query
    finds, in its order, ``at`` an aware UTC instant: retracted events left out, keys
    with none answered empty."""
    records = _batch()
    records.append(patient("P9", "S01", recorded=at(41)))
    with store.writing() as writer:
        writer.append(records)
    keys = ["site:S00", "site:S01", "site:S02", "site:nowhere"]
    keys += [f"event:{r.event.event_id}" for r in records[-3:]]
    with store.reading() as reader:
        found = reader.referrers_of_keys(keys)
        rows = reader.connection.execute(store_log._REFERRERS, {"keys": keys}).all()
    expected: dict[str, list[Referrer]] = {key: [] for key in keys}
    for row in rows:
        expected[row.key].append(Referrer(row.event_id, row.stream, row.at))
    assert found == expected
    assert [r.stream for r in found["site:S01"]] == ["patient:P1", "patient:P9"]
    assert found["site:S02"] == []  # P2 retracted
    assert {r.at.tzinfo for refs in found.values() for r in refs} == {UTC}
    assert found["site:S01"][1].at == records[-1].event.occurred_at


def _prefetched_as_the_log_reads(
    store: EventStore, ids: list[str], streams: list[str], decoded: list[str]
) -> int:
    """One unit of work's prefetch of these ids and streams answers field for field as
    the log's own reads (which decode every row); the number of rows it decoded (noted in
    ``decoded`` meanwhile)."""
    with store.reading() as reader:
        expected_streams = {s: reader.stream_events(s) for s in streams}
        expected_found = {i: reader.find_event(i) for i in ids}
    before = len(decoded)
    with store.writing() as writer:
        writer.prefetch(ids, streams)
        for stream, expected in expected_streams.items():
            assert writer.stream_events(stream) == expected
            assert writer.stream_version(stream) == len(expected)
        for event_id, ref in expected_found.items():
            assert writer.find_event(event_id) == ref
    return len(decoded) - before


def _counting_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hashes of the stored events decoded from now on, in order."""
    decoded: list[str] = []
    decode = store_log.decode_row
    monkeypatch.setattr(
        store_log, "decode_row", lambda row: decoded.append(row.hash) or decode(row)
    )
    return decoded


def test_a_store_decodes_a_stored_event_once_for_its_units_of_work(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A prefetch keeps the events it decodes, by hash, for the store's next units of
    work: a command reading streams that earlier ones read decodes only their new events,
    and gets the answers the log's reads give."""
    records = _batch()
    with store.writing() as writer:
        writer.append(records[:20])
    streams = list(dict.fromkeys(r.stream for r in records))
    ids = [r.event.event_id for r in records]
    decoded = _counting_decodes(monkeypatch)
    assert _prefetched_as_the_log_reads(store, ids, streams, decoded) == 20
    assert _prefetched_as_the_log_reads(store, ids, streams, decoded) == 0  # every one kept
    with store.writing() as writer:
        writer.append(records[20:])  # the streams grow, one event is retracted
    assert _prefetched_as_the_log_reads(store, ids, streams, decoded) == len(records) - 20


def test_the_decoded_events_kept_are_bounded(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond :data:`DECODED_EVENTS` the least recently used decoded events go (and are
    decoded again when read); the answers stay those of the log."""
    monkeypatch.setattr(store_log, "DECODED_EVENTS", 8)
    records = _batch()
    with store.writing() as writer:
        writer.append(records)
    streams = list(dict.fromkeys(r.stream for r in records))
    ids = [r.event.event_id for r in records]
    decoded = _counting_decodes(monkeypatch)
    counts = [
        _prefetched_as_the_log_reads(store, ids, streams, decoded),
        _prefetched_as_the_log_reads(store, ids[-4:], streams[-3:], decoded),  # kept
        _prefetched_as_the_log_reads(store, ids, streams, decoded),
    ]
    assert counts[:2] == [len(records), 0]
    assert counts[2] > 8  # the first events were no longer kept
    kept: dict[str, Any] = store._decoded
    assert 0 < len(kept) <= 8


@pytest.mark.parametrize("copy_from", [1, 10_000], ids=["copy", "insert"])
def test_rows_are_stored_as_sqlalchemy_stores_them(
    db_url_factory: Callable[[], str], monkeypatch: pytest.MonkeyPatch, copy_from: int
) -> None:
    monkeypatch.setattr(store_log, "COPY_FROM", copy_from)
    fast, reference = create_engine_for(db_url_factory()), create_engine_for(db_url_factory())
    try:
        for engine in (fast, reference):
            upgrade(engine)
        records = _batch()
        with EventStore(fast).writing() as writer:
            writer.append(records[:-3])  # the driver's own batch insert (or COPY)
            writer.append(records[-3:-1])
            writer.append(records[-1:])  # one row: a plain INSERT
        # the same values through SQLAlchemy's insert, as every row was written before
        with fast.connect() as source, reference.begin() as target:
            for table in (events, event_references):
                rows = [dict(row._mapping) for row in source.execute(select(table))]
                target.execute(insert(table), rows)
        assert _raw_rows(fast) == _raw_rows(reference)
        assert len(_raw_rows(fast)) > len(records)
        assert verify(fast).ok
    finally:
        fast.dispose()
        reference.dispose()


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` meanwhile."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(" ".join(str(args[2]).split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _decoded(kind: str, occurred: str, **data: Any) -> Any:
    return decode_event({"type": kind, "occurred_at": occurred, "data": data})


def test_a_command_reads_what_its_rules_need_in_one_statement(store: EventStore) -> None:
    setup = [
        _decoded("SiteRegistered", "2025-03-01T08:00:00Z", site_id="S1", name="n", specialist_for=[]),
        _decoded("SiteRegistered", "2025-03-01T08:00:00Z", site_id="S2", name="n", specialist_for=[]),
        _decoded("PatientRegistered", "2025-03-01T08:10:00Z", patient_id="P1"),
    ]  # fmt: skip
    for command in setup:
        record(store, command, now=NOW)
    transfer = _decoded(
        "TransferRequested", "2025-03-01T09:00:00Z", transfer_id="T1", patient_id="P1",
        item="imaging", from_site="S1", to_site="S2", method="iep",
    )  # fmt: skip
    with statements(store.engine) as seen:
        decision = record(store, transfer, now=NOW)
    assert isinstance(decision, Accepted) and len(decision.references) == 3
    # the network's time zone, which the rules' local dates take, read once: on SQLite in
    # the rules' one read (a statement of its own before), on PostgreSQL in a statement
    # of its own sent in the round trip of the BEGIN and the lock
    assert len([s for s in seen if 'FROM settings WHERE "key"' in s]) == 1, seen
    zone = [s for s in seen if s.startswith("SELECT value FROM settings")]
    assert len(zone) == (0 if store.engine.dialect.name == "sqlite" else 1), seen
    reads = [s for s in seen if s.startswith(("SELECT", "WITH", "select")) and s not in zone]
    writes = [s for s in seen if s.startswith("INSERT")]
    # the append lock (PostgreSQL) or BEGIN IMMEDIATE (SQLite), one read, two inserts
    assert len(seen) - len(zone) == 4, seen
    assert len(writes) == 2, seen
    assert len([s for s in reads if "pg_advisory_xact_lock" not in s]) == 1, seen
    with store.reading() as reader:
        assert [e.type for e in reader.stream_events("transfer:T1")] == ["TransferRequested"]


def test_prefetched_answers_need_no_further_statement(store: EventStore) -> None:
    records = _batch()
    with store.writing() as writer:
        writer.append(records)
    target = records[-2]
    with store.reading() as reader:
        expected_found = reader.find_event(target.event.event_id)
        expected_stream = reader.stream_events(target.stream)
    ids = [target.event.event_id.upper(), "00000000-0000-4000-8000-000000000000"]
    streams = [target.stream, "site:S00", "site:nowhere"]
    with store.writing() as writer, statements(store.engine) as seen:
        writer.prefetch(ids, streams)
        assert len(seen) == 1  # the events of the ids and the streams, and the head
        found = writer.find_event(target.event.event_id)
        assert found is not None and expected_found is not None
        assert found.stream == expected_found.stream
        assert encode_event(found.event) == encode_event(expected_found.event)
        assert writer.find_event(ids[1]) is None
        assert [encode_event(e) for e in writer.stream_events(target.stream)] == [
            encode_event(e) for e in expected_stream
        ]
        assert writer.stream_events("site:nowhere") == []
        assert writer.stream_version(target.stream) == 2
        assert writer.stream_version("site:nowhere") == 0
        assert writer.last_recorded_at() == at(40)
        assert len(seen) == 1


@pytest.mark.parametrize("copy_from", [1, 10_000], ids=["copy", "insert"])
def test_a_colliding_batch_is_refused_whole_and_the_unit_of_work_goes_on(
    store: EventStore, monkeypatch: pytest.MonkeyPatch, copy_from: int
) -> None:
    monkeypatch.setattr(store_log, "COPY_FROM", copy_from)
    first = site("S1")
    with store.writing() as writer:
        writer.append([first])
    batch = [site(f"T{n:02d}", recorded=at(n)) for n in range(24)]
    batch.append(site("T99", recorded=at(30), event_id=first.event.event_id))
    with store.writing() as writer:
        writer.prefetch([r.event.event_id for r in batch[:-1]], [])  # not the stored id
        with pytest.raises(DuplicateEventError):
            writer.append(batch)
        assert writer.append([site("S2", recorded=at(31))]) == [2]
    with store.reading() as reader:
        assert reader.count() == 2
    assert verify(store.engine).ok


@pytest.mark.parametrize("copy_from", [1, 10_000], ids=["copy", "insert"])
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(events=event_lists())
def test_large_batches_and_a_small_ledger_cache_decide_like_the_pure_ledger(
    db_url_factory: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    copy_from: int,
    events: list[Any],
) -> None:
    # streams leave the ledger's cache between batches; PostgreSQL gets rows by COPY
    monkeypatch.setattr(importing, "BATCH_SIZE", 25)
    monkeypatch.setattr(ledger_module, "MAX_CACHED_STREAMS", 2)
    monkeypatch.setattr(store_log, "COPY_FROM", copy_from)
    check_import_matches_ledger(db_url_factory(), tmp_path_factory.mktemp("log"), events)


def test_an_import_leaves_the_garbage_collector_as_it_was(
    store: EventStore, tmp_path: Path
) -> None:
    source = tmp_path / "log.jsonl"
    source.write_bytes(b"".join(orjson.dumps(encode_event(r.event)) + b"\n" for r in _batch()))
    frozen, enabled = gc.get_freeze_count(), gc.isenabled()
    result = import_files(store, [source], on_rejection=print, now=NOW)
    assert result.imported == len(_batch())
    assert (gc.get_freeze_count(), gc.isenabled()) == (frozen, enabled)
