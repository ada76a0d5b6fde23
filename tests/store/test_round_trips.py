"""A writing unit of work on PostgreSQL waits for the server as few times as it can: the
transaction's BEGIN goes with the lock statement, writes whose results nothing reads (an
event's rows, the read models' rows) go with the next statement or with the COMMIT
(``coord.store.engine.defer``), and the pool checks a connection without a query. Each
round trip costs a command two context switches and the server's answer, and a command
on PostgreSQL made 9-15 of them. These tests pin the round trips, and that the writes
sent later still fail where, and as, they failed before, leaving nothing written."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.exc import IntegrityError
from store_helpers import at, site

from coord.app.database import Database, open_database
from coord.app.recording import record
from coord.events import decode_event
from coord.projections.rebuild import rebuild
from coord.store import ConcurrencyError, DuplicateEventError, EventStore, StoreBusy
from coord.store import log as store_log
from coord.store.engine import defer, defer_query, driver_rows
from coord.store.readmodels import checkpoint
from coord.store.schema import events, read_models
from coord.store.subject_events import stored_events_of_streams

NOW = datetime(2025, 3, 2, 12, 0, tzinfo=UTC)
postgresql_only = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def _decoded(kind: str, occurred: str, **data: Any) -> Any:
    return decode_event({"type": kind, "occurred_at": occurred, "data": data})


@contextmanager
def round_trips(engine: Engine, tmp_path: Path) -> Iterator[list[int]]:
    """The round trips of the connections checked out meanwhile (libpq's trace of the
    messages: each run of messages sent then answered is one wait for the server)."""
    trace = tmp_path / "libpq.trace"
    descriptor = os.open(trace, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    traced: list[Any] = []

    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.pgconn.trace(descriptor)
        dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        traced.append(dbapi_connection.pgconn)

    def on_checkin(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None:
            dbapi_connection.pgconn.untrace()  # flushes the trace

    counted: list[int] = []
    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_checkin)
    try:
        yield counted
    finally:
        event.remove(engine, "checkout", on_checkout)
        event.remove(engine, "checkin", on_checkin)
        os.close(descriptor)
    directions = [line[0] for line in trace.read_text().splitlines() if line[:1] in ("F", "B")]
    counted.append(sum(1 for a, b in itertools.pairwise(directions) if a + b == "FB"))


@postgresql_only
def test_a_command_waits_for_the_server_three_times(database: Database, tmp_path: Path) -> None:
    """BEGIN + lock + the time zone + the prefetch, the event's rows + the checkpoint, the
    read models' rows + COMMIT. Before: the pool's ping, BEGIN, the lock, the prefetch,
    each INSERT, the checkpoint, the time zone, the rows, COMMIT (7 and 10); then 4, the
    prefetch in a round trip of its own."""
    store = database.store
    for command in [
        _decoded("SiteRegistered", "2025-03-01T08:00:00Z", site_id="S1", name="n", specialist_for=[]),
        _decoded("PatientRegistered", "2025-03-01T08:10:00Z", patient_id="P1"),
    ]:  # fmt: skip
        record(store, command, now=NOW)
    second_site = _decoded(
        "SiteRegistered", "2025-03-01T08:00:00Z", site_id="S2", name="n", specialist_for=[]
    )
    with round_trips(store.engine, tmp_path) as counted:
        record(store, second_site, now=NOW)
    assert counted == [3]  # no read-model rows: the COMMIT alone (the event's went before)
    transfer = _decoded(
        "TransferRequested", "2025-03-01T09:00:00Z", transfer_id="T1", patient_id="P1",
        item="imaging", from_site="S1", to_site="S2", method="iep",
    )  # fmt: skip
    with round_trips(store.engine, tmp_path) as counted:
        record(store, transfer, now=NOW)
    assert counted == [3]
    with store.reading() as reader:
        assert [e.type for e in reader.stream_events("transfer:T1")] == ["TransferRequested"]
        assert checkpoint(reader.connection) == 4


@postgresql_only
def test_a_command_on_a_subject_not_folded_yet_reads_it_in_one_round_trip(
    database: Database, tmp_path: Path
) -> None:
    """A process that has folded nothing yet (at 913k events, half of 500 commands touch
    such a subject) records a transfer's event: the projector reads the transfer's
    events, its case's (the case a transfer is for, found from the request), the case's
    other transfers, the listing's protocol and meeting in one query, sent with the
    checkpoint's move: the three round trips every command takes (four before its
    prefetch went with the lock). Before: one query for the transfer's events, then the
    case's referrers, the case's events, the protocol's and the meeting's (9). A new
    transfer's request, its case not folded: 3 (before 8)."""
    history = [
        _decoded("SiteRegistered", "2025-03-01T08:00:00Z", site_id="S1", name="n",
                 specialist_for=["bladder"]),
        _decoded("SiteRegistered", "2025-03-01T08:01:00Z", site_id="S2", name="n",
                 specialist_for=[]),
        _decoded("PatientRegistered", "2025-03-01T08:10:00Z", patient_id="P1"),
        _decoded("ProtocolPublished", "2025-03-01T08:20:00Z", pathway="bladder", version=1,
                 required_items=["imaging"]),
        _decoded("MeetingScheduled", "2025-03-01T08:30:00Z", meeting_id="M1",
                 pathway="bladder", host_site="S1", scheduled_for="2025-03-09T12:00:00Z",
                 cutoff="2025-03-07T12:00:00Z"),
        _decoded("CaseListed", "2025-03-01T09:00:00Z", case_id="C1", patient_id="P1",
                 meeting_id="M1", pathway="bladder", presenting_site="S2"),
        _decoded("TransferRequested", "2025-03-01T09:10:00Z", transfer_id="T1",
                 patient_id="P1", item="imaging", from_site="S2", to_site="S1",
                 method="iep", case_id="C1"),
    ]  # fmt: skip
    for command in history:
        record(database.store, command, now=NOW)
    received = _decoded("TransferReceived", "2025-03-01T10:00:00Z", transfer_id="T1")
    requested = _decoded(
        "TransferRequested", "2025-03-01T10:10:00Z", transfer_id="T2", patient_id="P1",
        item="imaging", from_site="S2", to_site="S1", method="iep", case_id="C1",
    )  # fmt: skip
    for command in (received, requested):
        later = open_database(database.url)  # its projector has folded nothing yet
        try:
            with round_trips(later.store.engine, tmp_path) as counted:
                record(later.store, command, now=NOW)
        finally:
            later.close()
        assert counted == [3]
    # the rows written from what that query read are those a rebuild writes
    projected = _read_model_rows(database)
    assert any(row.owner == "case:C1" for row in projected)
    rebuild(database.store)
    assert _read_model_rows(database) == projected


def _read_model_rows(database: Database) -> list[Any]:
    with database.engine.connect() as connection:
        return list(
            connection.execute(
                select(read_models).order_by(
                    read_models.c.owner, read_models.c.kind, read_models.c.seq
                )
            )
        )


def _copy_of_first_event(writer: store_log.Writer, position: int, event_id: str) -> None:
    """A row written behind the writer's back (as a writer ignoring the lock would)."""
    writer.connection.execute(
        text(
            "INSERT INTO events (position, event_id, stream, version, type, schema_version,"
            " occurred_at, recorded_at, actor, data, prev_hash, hash)"
            " SELECT :position, :event_id, 'site:elsewhere', 1, type, schema_version,"
            " occurred_at, recorded_at, actor, data, prev_hash, hash FROM events"
            " WHERE position = 1"
        ),
        {"position": position, "event_id": event_id},
    )


@pytest.mark.parametrize("collision", ["event_id", "position"])
def test_an_append_sent_later_fails_as_before_and_writes_nothing(
    database: Database, collision: str
) -> None:
    """The event's INSERT, deferred, goes with the projector's checkpoint statement: a
    key it collides with is still a DuplicateEventError or ConcurrencyError, and the unit
    of work is rolled back."""
    store = database.store
    with store.writing() as writer:
        writer.append([site("S1", recorded=at(1))])
    new = site("S2", recorded=at(2))
    expected = DuplicateEventError if collision == "event_id" else ConcurrencyError
    with pytest.raises(expected), store.writing() as writer:
        writer.prefetch([new.event.event_id], [new.stream])  # seen absent: no savepoint
        if collision == "event_id":
            _copy_of_first_event(writer, 50, new.event.event_id)
        else:
            _copy_of_first_event(writer, 2, "00000000-0000-4000-8000-000000000000")
        writer.append([new])
    with store.reading() as reader:
        assert reader.count() == 1
        assert checkpoint(reader.connection) == 1
    with store.writing() as writer:  # the connection is usable again
        writer.append([new])
    with store.reading() as reader:
        assert reader.count() == 2


def test_a_write_sent_with_the_commit_that_fails_leaves_nothing(database: Database) -> None:
    """A deferred write that fails at the COMMIT fails the unit of work: raised as
    SQLAlchemy raises it, and nothing of it (the appended event) is written."""
    store = database.store
    mark = "%s" if database.url.startswith("postgresql") else "?"
    with pytest.raises(IntegrityError), store.writing() as writer:
        writer.append([site("S1", recorded=at(1))])
        # the network's time zone is stored already: its key collides
        defer(
            writer.connection,
            f'INSERT INTO settings ("key", value) VALUES ({mark}, {mark})',
            ("time_zone", "UTC"),
        )
    with store.reading() as reader:
        assert reader.count() == 0
        assert checkpoint(reader.connection) == 0


def test_what_is_read_after_an_append_sees_it(store: EventStore) -> None:
    """Reads after a deferred append, through SQLAlchemy or the driver's own cursor,
    see its events (they are sent first)."""
    with store.writing() as writer:
        writer.append([site("S1", recorded=at(1))])
        seen = writer.connection.execute(select(func.count()).select_from(events)).scalar()
        writer.append([site("S2", recorded=at(2))])
        rows = stored_events_of_streams(writer.connection, ["site:S1", "site:S2"])
    assert seen == 1
    assert [row[5] for row in rows] == ["site:S1", "site:S2"]


def test_a_query_sent_later_sees_the_writes_deferred_before_it(database: Database) -> None:
    """``defer_query`` (the projector's read of its subjects, sent with the checkpoint's
    move): its rows, there once the next statement has run, see the writes deferred
    before it; on SQLite it runs at once."""
    mark = "%s" if database.url.startswith("postgresql") else "?"
    with database.store.writing() as writer:
        connection = writer.connection
        defer(
            connection,
            f'INSERT INTO settings ("key", value) VALUES ({mark}, {mark})',
            ("probe", "x"),
        )
        rows = defer_query(
            connection, f'SELECT value FROM settings WHERE "key" = {mark}', ("probe",)
        )
        assert rows == ([] if mark == "%s" else [("x",)])
        assert driver_rows(connection, "SELECT 1") == [(1,)]
        assert [tuple(row) for row in rows] == [("x",)]


@postgresql_only
def test_a_connection_the_server_ended_is_replaced(store: EventStore) -> None:
    """Without the pool's ping, a connection the server ended (a restart, an idle
    timeout) is still never handed to a unit of work: its socket tells."""
    with store.reading() as reader:
        pid = reader.connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    conninfo = store.engine.url.set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as other:
        # ends that session, waiting until it has ended
        ended = other.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()
        assert ended == (True,)
    with store.writing() as writer:
        writer.append([site("S1", recorded=at(1))])
    with store.reading() as reader:
        assert reader.count() == 1


@postgresql_only
def test_the_lock_held_elsewhere_is_store_busy_and_leaves_the_connection_usable(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock statement, sent with BEGIN in one pipeline, failing on its timeout."""
    monkeypatch.setattr(store_log, "LOCK_TIMEOUT", "50ms")
    with store.engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": store_log.APPEND_LOCK_KEY})
        holder.commit()
        try:
            with pytest.raises(StoreBusy), store.writing() as writer:
                writer.append([site("S1", recorded=at(1))])
        finally:
            holder.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": store_log.APPEND_LOCK_KEY}
            )
            holder.commit()
    with store.writing() as writer:
        writer.append([site("S1", recorded=at(1))])
    with store.reading() as reader:
        assert reader.count() == 1
        # the unit of work's AUTOCOMMIT (for its own BEGIN) ended with it
        assert reader.connection.connection.driver_connection.autocommit is False  # type: ignore[union-attr]
