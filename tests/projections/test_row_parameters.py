"""The rows as a rebuild writes them (:func:`rows_of`'s parameters: each row made
directly as its values, its payload's JSON text written by orjson straight from the
record) are exactly the rows of the definition (:func:`model_row`: ``to_payload``, then
the store's JSON serializer), byte for byte, on generated and random logs (a gap row's
payload validating back to the very row); and a record
whose instants orjson would write otherwise than ``to_payload`` is written through it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine, create_engine, insert

from coord.events import Event, decode_event
from coord.projections.codec import payload_json, to_payload
from coord.projections.rows import figures_of, record_rows, rows_of
from coord.reports import derive_facts
from coord.reports.facts import Facts
from coord.reports.gaps import gap_rows_of_payloads
from coord.reports.records import Meeting, Referral, Transfer
from coord.store.bulk_rows import COPY_FROM, ROWS_PER_INSERT, _sqlite_at, write_rows
from coord.store.engine import create_engine_for
from coord.store.readmodels import _values
from coord.store.schema import read_models_table
from event_strategies import LONDON, event_lists
from reliability.helpers import generated_log_bytes


def check_parameters(facts: Facts) -> set[str]:
    """Every row's parameters against the definition's row; returns the kinds of row."""
    expected = list(rows_of(facts, time_zone=LONDON))
    records = [row.record for row in record_rows(facts)]
    made = list(rows_of(facts, time_zone=LONDON).parameters(lambda at: ("at", at)))
    assert len(made) == len(expected) == len(records)
    for (names, values), row, record in zip(made, expected, records, strict=True):
        kind, owner, seq, at, ref, payload, *figures = values
        assert (kind, owner, seq, at, ref) == (
            row.kind,
            row.owner,
            row.seq,
            ("at", row.at),
            row.ref,
        )
        assert payload == orjson.dumps(to_payload(record)).decode()
        assert orjson.loads(payload) == row.payload
        assert dict(zip(names, figures, strict=True)) == row.figures
        assert list(row.figures) == list(names)
        if kind == "gap":  # read back, the payload is the row again, decimals exactly
            (read,) = gap_rows_of_payloads([orjson.loads(payload)])
            assert read == record and str(read.hours_late) == str(record.hours_late)
    return {row.kind for row in expected}


def test_a_generated_log() -> None:
    lines = generated_log_bytes(scale=0.1).splitlines()
    kinds = check_parameters(derive_facts([decode_event(orjson.loads(line)) for line in lines]))
    assert kinds == {
        "case", "listing", "discussion", "deferral", "arrival", "transfer", "handover",
        "referral", "meeting", "gap",
    }  # fmt: skip


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(events=event_lists())
def test_random_logs(events: list[Event]) -> None:
    check_parameters(derive_facts(events))


MEETING = Meeting(
    meeting_id="M-1",
    pathway="lung",
    host_site="north",
    scheduled_for=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
    cutoff=datetime(2026, 1, 4, 17, 0, 0, 250, tzinfo=UTC),
    technical_issues=1,
    sites_present=frozenset({"west", "north", "east"}),
)


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        datetime(2026, 1, 5, 9, 30, 0, 120, tzinfo=UTC),
        datetime(999, 1, 5, 9, 30, tzinfo=UTC),  # orjson writes 0999, to_payload 999
        datetime(5, 1, 5, 9, 30, 1, 7, tzinfo=UTC),
        datetime(2026, 1, 5, 9, 30, tzinfo=timezone(timedelta(hours=1))),  # to_payload: UTC
        datetime(2026, 1, 5, 9, 30, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
        datetime(2026, 6, 5, 9, 30, tzinfo=LONDON),
        datetime(2026, 1, 5, 9, 30, 0, 5, tzinfo=LONDON),  # +00:00 in winter
        datetime(2026, 1, 5, 9, 30),  # naive
        datetime(2026, 1, 5, 9, 30, 0, 999_999),
        datetime(2026, 1, 5, 9, 30, tzinfo=timezone(timedelta(0))),
    ],
)
def test_payload_json_writes_every_instant_as_to_payload(instant: datetime) -> None:
    records: list[Any] = [
        Meeting(**{**vars_of(MEETING), "scheduled_for": instant}),
        Referral(
            referral_id="R-1", patient_id="P-1", pathway="lung", from_site="west",
            to_site="north", priority="urgent", clock_start=date(999, 12, 31), made_at=instant,
            treatment_at=instant,
        ),
        Transfer(
            transfer_id="T-1", patient_id="P-1", item="ct", from_site="west", to_site="north",
            method="pacs", case_id=None, requested_at=instant, received_at=instant,
        ),
    ]  # fmt: skip
    for record in records:
        assert payload_json(record) == orjson.dumps(to_payload(record)).decode()


def test_text_that_only_looks_like_an_instant_is_written_as_it_is() -> None:
    for site in (
        "2026-01-05T09:30:00", "0999-01-05T", "2026-01-05T09:30:00+01:00", 'a"b\\c', "0",
        "T10:00:00", "T10:00:00.5Z",
    ):  # fmt: skip
        record = Meeting(**{**vars_of(MEETING), "host_site": site})
        assert payload_json(record) == orjson.dumps(to_payload(record)).decode()
        assert orjson.loads(payload_json(record))["host_site"] == site


def test_figures_of_a_record_without_figures_is_empty() -> None:
    assert figures_of(object(), LONDON) == {}
    assert list(figures_of(MEETING, LONDON)) == [
        "host_site", "pathway", "technical_issues", "sites_present", "groups_present",
    ]  # fmt: skip


def vars_of(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


def stored_both_ways(engine: Engine, facts: Facts) -> tuple[list[Any], list[Any], int]:
    """The rows of ``facts`` as stored by :func:`write_rows` (prepared rows) and by an
    ``insert()`` of their values, each into a table of its own, read back in key order
    (payloads as text); and how many rows ``write_rows`` wrote."""
    with engine.begin() as connection:
        prepared, inserted = (read_models_table(n, f"pk_{n}") for n in ("prepared", "inserted"))
        prepared.create(connection)
        inserted.create(connection)
        rows = rows_of(facts, time_zone=LONDON)
        written = write_rows(connection, prepared, rows)
        connection.execute(insert(inserted), _values(rows))
        payload = "payload::text" if connection.dialect.name == "postgresql" else "payload"
        columns = ", ".join(payload if c.name == "payload" else c.name for c in prepared.columns)
        stored = [
            list(
                connection.exec_driver_sql(
                    f"SELECT {columns} FROM {name} ORDER BY owner, kind, seq"
                )
            )
            for name in ("prepared", "inserted")
        ]
    engine.dispose()
    return stored[0], stored[1], written


def test_an_engine_serializing_json_otherwise_stores_its_own_text(db_url: str) -> None:
    """Prepared payloads are orjson's text; an engine whose JSON serializer writes other
    text (``json.dumps``: spaces after separators) stores its own, as an insert does
    (through ``executemany`` on SQLite, ``COPY`` on PostgreSQL)."""
    lines = generated_log_bytes(scale=0.1).splitlines()
    facts = derive_facts([decode_event(orjson.loads(line)) for line in lines])
    engine = create_engine(db_url, json_serializer=json.dumps)
    prepared, inserted, written = stored_both_ways(engine, facts)
    assert written > 200
    assert prepared == inserted
    assert '{"case_id": ' in prepared[0][5]


def test_a_few_rows_are_stored_as_an_insert_stores_them(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command's few prepared rows (fewer than ``COPY_FROM``) go in by ``INSERT``, not
    ``COPY`` on PostgreSQL (a round trip fewer), stored exactly as an ``insert()``."""
    events = [
        decode_event(orjson.loads(line)) for line in generated_log_bytes(scale=0.1).splitlines()
    ]
    count = 0
    for end in range(1, len(events)):
        facts = derive_facts(events[:end])
        count = len(list(rows_of(facts, time_zone=LONDON)))
        if 3 <= count < COPY_FROM:
            break
    assert 3 <= count < COPY_FROM
    if db_url.startswith("postgresql"):
        import psycopg

        def no_copy(*_: Any, **__: Any) -> Any:
            raise AssertionError("a few rows were written by COPY")

        monkeypatch.setattr(psycopg.Cursor, "copy", no_copy)
    prepared, inserted, written = stored_both_ways(create_engine_for(db_url), facts)
    assert written == count
    assert prepared == inserted
    assert len(prepared) == count


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        datetime(2026, 1, 5, 9, 30, 0, 999_999, tzinfo=UTC),
        datetime(5, 1, 5, 9, 30, 1, 7, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
        datetime(2026, 1, 5, 9, 30, tzinfo=timezone(timedelta(0))),
        datetime(2026, 6, 5, 9, 30, 0, 5, tzinfo=LONDON),
        datetime(2026, 1, 5, 9, 30, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
        None,
    ],
)
def test_an_instant_is_given_to_sqlite_as_an_insert_gives_it(instant: datetime | None) -> None:
    """A prepared row's ``at`` on SQLite: the text SQLAlchemy's bind processing of the
    column stores (``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC), written directly for an
    instant in UTC."""
    engine = create_engine_for("sqlite://")
    try:
        dialect = engine.dialect
        column = read_models_table("at_rows", "pk_at_rows").c.at
        processor = column.type.dialect_impl(dialect).bind_processor(dialect)
        assert processor is not None
        stored = _sqlite_at(processor)(instant)
        assert stored == processor(instant)
        if instant is not None:
            assert stored == instant.astimezone(UTC).isoformat(" ", "microseconds")[:-6]
    finally:
        engine.dispose()


def test_a_fresh_sqlite_table_takes_its_rows_twenty_to_an_insert(tmp_path: Any) -> None:
    """On SQLite a fresh table's prepared rows go ``ROWS_PER_INSERT`` to a statement (each
    statement's run opens the table's and indexes' cursors again: 6 % of a rebuild's
    instructions at 102k events), the rest of each shape one by one; stored exactly as
    an ``insert()`` of their values stores them, in the same order."""
    lines = generated_log_bytes(scale=0.1).splitlines()
    facts = derive_facts([decode_event(orjson.loads(line)) for line in lines])
    engine = create_engine_for(f"sqlite:///{tmp_path / 'rows.db'}")
    runs: list[str] = []
    with engine.connect() as connection:
        connection.connection.driver_connection.set_trace_callback(runs.append)  # type: ignore[union-attr]
    prepared, inserted, written = stored_both_ways(engine, facts)
    assert prepared == inserted
    inserts = [run for run in runs if " INTO prepared " in run]  # INSERT [OR FAIL] INTO
    assert written > 200
    assert len(inserts) < written / 3  # one by one: a statement per row
    assert max(run.count("), (") for run in inserts) == ROWS_PER_INSERT - 1


def test_rows_are_made_with_their_kinds_in_alphabetical_order() -> None:
    """A rebuild's rows come kind by kind in the primary key's order, the order SQLite
    stores them in with the fewest instructions (about a tenth fewer on its inserts)."""
    lines = generated_log_bytes(scale=0.1).splitlines()
    facts = derive_facts([decode_event(orjson.loads(line)) for line in lines])
    kinds = [values[0] for _, values in rows_of(facts, time_zone=LONDON).parameters(str)]
    assert kinds == sorted(kinds)
    assert len(set(kinds)) == 10
