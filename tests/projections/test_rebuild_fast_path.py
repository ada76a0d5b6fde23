"""`coord rebuild` folds the stored data of the folded types as it is read through the
driver (decoding only an event of an older schema version, which upcasts it) and fills
the fresh table through the driver. It must give exactly the rows of the previous
definition: every event decoded, the non-retracted ones folded in order with their
positions, ``rows_of``, inserted through SQLAlchemy — also the same rows as
``derive_facts`` of the log (arrival tie-breaks compared by rank) — on generated logs
with retractions, on random ones, and on a log whose events are upcast, on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Connection, insert, inspect, select

from coord.app.database import Database, initialise
from coord.app.importing import import_files
from coord.events import DEFAULT_REGISTRY, Event, encode_event
from coord.events.fields import Text
from coord.events.types import EventRetracted, TransferRequested
from coord.projections.rebuild import rebuild, rebuild_within
from coord.projections.rows import rows_of
from coord.reports import FactBuilder, derive_facts, facts_of
from coord.reports.fold import FOLDED_TYPES
from coord.store import create_engine_for
from coord.store.bulk_rows import (
    INDEX_SORT_MEMORY,
    ROWS_PER_INSERT,
    PreparedRows,
    RowParameters,
    drop_derived,
    sort_indexes_in_memory,
)
from coord.store.readmodels import ModelRow, _values, checkpoint, network_time_zone
from coord.store.rows import decode_row, fold_stored
from coord.store.schema import FIGURE_NAMES, events, read_models_table
from event_strategies import NOW, event_lists
from reliability.helpers import generated_log_bytes

EXPECTED = "read_models_expected"


def import_log(database: Database, lines: list[bytes], tmp_path: Path, name: str) -> int:
    path = tmp_path / name
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    result = import_files(
        database.store, [path], on_rejection=lambda _: None,
        skip_invalid=True, now=NOW,
    )  # fmt: skip
    return result.imported


def previous_rows(database: Database) -> list[ModelRow]:
    """The rows of the rebuild before the fast path: every event decoded (an older
    schema version upcast), the non-retracted ones folded with their positions."""
    with database.store.reading() as reader:
        retracted = reader.retracted_event_ids()
        zone = network_time_zone(reader.connection)
        builder = FactBuilder()
        for stored in reader.read_all():
            event = stored.event
            if event.event_id not in retracted and not isinstance(event.data, EventRetracted):
                builder.apply(event, stored.position)
        return list(rows_of(facts_of(builder), time_zone=zone))


def stored_rows(connection: Connection, table: str) -> list[tuple[Any, ...]]:
    """Every row of a read-models table as the driver returns it (SQLite: the stored
    text and integers; PostgreSQL: the payload's JSON text)."""
    payload = "payload::text" if connection.dialect.name == "postgresql" else "payload"
    columns = ", ".join(("kind", "owner", "seq", "at", "ref", payload, *FIGURE_NAMES))
    result = connection.exec_driver_sql(f"SELECT {columns} FROM {table} ORDER BY owner, kind, seq")
    return [tuple(row) for row in result]


def ranked(rows: list[ModelRow]) -> list[tuple[Any, ...]]:
    """Rows with each arrival's tie-break replaced by its rank within its owner (a fold
    without positions counts the events folded instead)."""
    positions: dict[str, list[int]] = {}
    for row in rows:
        if row.kind == "arrival":
            positions.setdefault(row.owner, []).append(row.payload["position"])
    rank = {o: {p: i for i, p in enumerate(sorted(ps))} for o, ps in positions.items()}
    out = []
    for row in rows:
        payload = dict(row.payload)
        if row.kind == "arrival":
            payload["position"] = rank[row.owner][payload["position"]]
        out.append((row.kind, row.owner, row.seq, row.at, row.ref, payload, row.figures))
    return sorted(out, key=lambda r: (r[1], r[0], r[2]))


def check_rebuild(database: Database) -> None:
    """The fast rebuild's table equals the previous definition's rows inserted through
    SQLAlchemy, column by column as stored."""
    expected = previous_rows(database)
    with database.store.reading() as reader:
        head = reader.head()
        events = [s.event for s in reader.read_all()]
        zone = network_time_zone(reader.connection)
    assert ranked(expected) == ranked(list(rows_of(derive_facts(events), time_zone=zone)))

    assert rebuild(database.store) == (0 if head is None else head.position, len(expected))
    with database.engine.begin() as connection:
        table = read_models_table(EXPECTED, f"pk_{EXPECTED}")
        table.create(connection)
        if expected:
            connection.execute(insert(table), _values(expected))
        try:
            assert stored_rows(connection, "read_models") == stored_rows(connection, EXPECTED)
            assert checkpoint(connection) == (0 if head is None else head.position)
        finally:
            table.drop(connection)


def test_a_generated_log_with_retractions(database: Database, tmp_path: Path) -> None:
    lines = generated_log_bytes(months=2, scale=0.1).splitlines()
    assert import_log(database, lines, tmp_path, "log.jsonl") == len(lines)
    # more retractions, of events of each kind the fold reads (some may be refused)
    targets = {}
    for line in lines:
        raw = orjson.loads(line)
        targets.setdefault(raw["type"], raw["event_id"])
    retractions = [
        orjson.dumps(
            {
                "type": "EventRetracted",
                "occurred_at": "2025-06-01T00:00:00Z",
                "data": {"event_id": event_id, "reason": "recorded in error"},
            }
        )
        for event_id in targets.values()
    ]
    assert import_log(database, retractions, tmp_path, "retractions.jsonl") > 5
    with database.store.reading() as reader:
        assert len(reader.retracted_event_ids()) > 8
    check_rebuild(database)


def test_an_empty_log(database: Database) -> None:
    check_rebuild(database)


SLOW: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}


@settings(max_examples=10, **SLOW)  # type: ignore[arg-type]
@given(events=event_lists())
def test_random_logs(
    db_url_factory: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
    events: list[Event],
) -> None:
    database = initialise(db_url_factory())
    try:
        lines = [orjson.dumps(encode_event(e)) for e in events]
        import_log(database, lines, tmp_path_factory.mktemp("log"), "log.jsonl")
        check_rebuild(database)
    finally:
        database.close()


class TransferRequestedV2(TransferRequested):
    """Invented for this test: version 2 says why the transfer was requested. (A release
    adding it would make it the ``TransferRequested`` the fold reads; subclassing stands
    in.)"""

    VERSION: ClassVar[int] = 2
    purpose: Text


def log_with_older_versions(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    """A generated log whose ``TransferRequested`` events are of version 1 of two (a
    later release's, registered until the test ends), and one of version 2; returns the
    version 1 requests."""
    lines = generated_log_bytes(months=2, scale=0.05).splitlines()
    import_log(database, lines, tmp_path, "log.jsonl")
    requested = [orjson.loads(line) for line in lines if b'"TransferRequested"' in line]
    assert {r["data"]["method"] for r in requested} != {"other"}

    # a later release: TransferRequested v2, whose upcaster says how v1 requests were
    # made ("other": not recorded), registered in place and undone when the test ends
    monkeypatch.setitem(DEFAULT_REGISTRY._models["TransferRequested"], 2, TransferRequestedV2)
    monkeypatch.setitem(
        DEFAULT_REGISTRY._upcasters,
        ("TransferRequested", 1),
        lambda data: {**data, "method": "other", "purpose": "not recorded (v1)"},
    )
    # and a request written at version 2 (folded as stored)
    first = requested[0]
    newer = {
        **first,
        "event_id": "00000000-0000-4000-8000-000000000002",
        "schema_version": 2,
        "data": {**first["data"], "transfer_id": "T-v2", "purpose": "second opinion"},
    }
    newer.pop("recorded_at", None)
    assert import_log(database, [orjson.dumps(newer)], tmp_path, "v2.jsonl") == 1
    return requested


def test_events_of_an_older_schema_version_are_upcast(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requested = log_with_older_versions(database, tmp_path, monkeypatch)
    check_rebuild(database)
    with database.engine.connect() as connection:
        methods = dict(
            connection.exec_driver_sql(
                "SELECT owner, method FROM read_models WHERE kind = 'transfer'"
            ).all()
        )
    assert methods.pop("transfer:T-v2") == requested[0]["data"]["method"]
    assert set(methods.values()) == {"other"}  # every version 1 request, upcast
    assert len(methods) == len(requested)


@pytest.mark.parametrize("page_size", [1, 2, 7, 100])
def test_each_page_hands_the_fold_every_event_in_order(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page_size: int
) -> None:
    """``fold_stored`` a few rows at a time: the pages' older versions (upcast), the
    current ones as stored and the retracted ones left out, in the log's order, as when
    every event is decoded; after each page, the position of its last event."""
    log_with_older_versions(database, tmp_path, monkeypatch)
    with database.store.reading() as reader:
        rows = [
            row
            for row in reader.connection.execute(select(events).order_by(events.c.position))
            if row.type in FOLDED_TYPES
        ]
        older = [row for row in rows if row.schema_version == 1 and row.type == "TransferRequested"]
        # some retracted events (read ids: retraction events are not folded), of each version
        skipped = {row.event_id for row in rows[5::9] + older[1::3]}
        expected = [
            (row.position, decode_row(row))
            if row.schema_version < DEFAULT_REGISTRY.latest_version(row.type)
            else (row.position, row.type, row.data, row.occurred_at, row.event_id)
            for row in rows
            if row.event_id not in skipped
        ]
        handed: list[tuple[Any, ...]] = []
        pages = list(
            fold_stored(
                reader.connection, FOLDED_TYPES,
                lambda type_name, data, at, event_id, position: handed.append(
                    (position, type_name, data, at, event_id)
                ),
                lambda event, position: handed.append((position, event)),
                skipped, page_size=page_size,
            )
        )  # fmt: skip
    assert len(older) > 5
    assert handed == expected
    positions = [row.position for row in rows]
    assert pages == positions[page_size - 1 :: page_size] + (
        [positions[-1]] if len(positions) % page_size else []
    )


@pytest.mark.parametrize("setting", ["OFF", "ON", "FAST"])
def test_dropping_the_old_rows_leaves_sqlites_secure_delete_as_it_was(
    tmp_path: Path, setting: str
) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'coord.db'}")
    try:
        with engine.begin() as connection:
            table = read_models_table("old_rows", "pk_old_rows")
            table.create(connection)
            connection.exec_driver_sql(f"PRAGMA secure_delete = {setting}")
            before = connection.exec_driver_sql("PRAGMA secure_delete").scalar()
            drop_derived(connection, table)
            assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == before
            assert not inspect(connection).has_table("old_rows")
    finally:
        engine.dispose()


@pytest.mark.parametrize("server_setting", ["64MB", "1GB"])
def test_the_index_builds_sort_in_memory_until_the_transaction_ends(
    db_url: str, server_setting: str
) -> None:
    """On PostgreSQL a rebuild's transaction may sort its index entries in
    INDEX_SORT_MEMORY, never in less than the server allows; the setting is the server's
    again after it. (SQLite: nothing to set.)"""
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            postgresql = connection.dialect.name == "postgresql"
            if postgresql:
                connection.exec_driver_sql(f"SET maintenance_work_mem = '{server_setting}'")
                connection.commit()
            setting = "SHOW maintenance_work_mem"
            with connection.begin():
                sort_indexes_in_memory(connection)
                if postgresql:
                    expected = max(server_setting, INDEX_SORT_MEMORY, key=_megabytes)
                    assert connection.exec_driver_sql(setting).scalar() == expected
            if postgresql:
                assert connection.exec_driver_sql(setting).scalar() == server_setting
    finally:
        engine.dispose()


def _megabytes(size: str) -> int:
    return int(size[:-2]) * (1024 if size.endswith("GB") else 1)


def _read_models_schema(connection: Connection) -> dict[str, Any]:
    inspector = inspect(connection)
    return {
        "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns("read_models")],
        "primary_key": inspector.get_pk_constraint("read_models")["constrained_columns"],
        "indexes": sorted((i["name"], i["column_names"], i["unique"]) for i in inspector.get_indexes("read_models")),
    }  # fmt: skip


def test_a_rebuild_leaves_the_read_models_table_as_migrated(
    database: Database, tmp_path: Path
) -> None:
    lines = generated_log_bytes(months=1, scale=0.05).splitlines()
    import_log(database, lines, tmp_path, "log.jsonl")
    with database.engine.connect() as connection:
        migrated = _read_models_schema(connection)
    assert {name for name, _, _ in migrated["indexes"]} >= {
        "ix_read_models_kind_at_figures",
        "ix_read_models_kind_ref_owner",
    }
    rebuild(database.store)
    with database.engine.connect() as connection:
        assert _read_models_schema(connection) == migrated
    check_rebuild(database)  # and again, over the rebuilt table


def traced_rebuild(database: Database) -> list[str]:
    """The statements a rebuild on SQLite runs, as SQLite traces them."""
    statements: list[str] = []
    with database.store.writing() as writer:
        driver = writer.connection.connection.driver_connection
        driver.set_trace_callback(statements.append)  # type: ignore[union-attr]
        try:
            rebuild_within(writer)
        finally:
            driver.set_trace_callback(None)  # type: ignore[union-attr]
    return statements


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlites_rebuild_fills_the_table_with_its_indexes_made(
    database: Database, tmp_path: Path
) -> None:
    """On SQLite the rows go into the indexed table (each index takes them as they come)
    rather than into a bare one indexed afterwards (a sort of every row)."""
    lines = generated_log_bytes(months=1, scale=0.05).splitlines()
    import_log(database, lines, tmp_path, "log.jsonl")
    statements = traced_rebuild(database)
    creating = [i for i, s in enumerate(statements) if s.lstrip().upper().startswith("CREATE")]
    inserting = [i for i, s in enumerate(statements) if " INTO READ_MODELS " in s.upper()]
    indexed = [s for s in statements if s.upper().startswith("CREATE INDEX")]
    assert len(indexed) == 2 and all(" ON read_models " in s for s in indexed)
    assert inserting and max(creating) < min(inserting)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlites_rebuild_inserts_many_rows_a_statement_with_no_statement_journal(
    database: Database, tmp_path: Path
) -> None:
    """Rows go ROWS_PER_INSERT to an ``INSERT OR FAIL``: an ``INSERT`` of many rows that
    may abort copies every page it changes into a statement journal first (at 913k
    events 3.3 GB written to a temporary file, a quarter of writing the rows)."""
    lines = generated_log_bytes(months=1, scale=0.05).splitlines()
    import_log(database, lines, tmp_path, "log.jsonl")
    statements = traced_rebuild(database)
    inserts = [s for s in statements if " INTO read_models " in s]
    many = [s for s in inserts if s.count("), (") == ROWS_PER_INSERT - 1]
    assert many and all(s.startswith("INSERT OR FAIL INTO read_models ") for s in many)
    assert all(s.count("), (") in (0, ROWS_PER_INSERT - 1) for s in inserts)
    check_rebuild(database)


def test_a_rebuild_failing_on_a_row_leaves_the_read_models_as_they_were(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row whose key is taken fails the rebuild, and its unit of work leaves the old
    rows and checkpoint (SQLite's ``INSERT OR FAIL`` keeps the rows before it in its
    statement: the transaction's rollback takes them away)."""
    lines = generated_log_bytes(months=1, scale=0.05).splitlines()
    import_log(database, lines, tmp_path, "log.jsonl")
    with database.engine.connect() as connection:
        before = stored_rows(connection, "read_models")
        position = checkpoint(connection)
    assert len(before) > 3 * ROWS_PER_INSERT

    def with_a_duplicate(*args: Any, **kwargs: Any) -> PreparedRows:
        rows = rows_of(*args, **kwargs)

        def parameters(stored_at: Any) -> Iterator[RowParameters]:
            made = list(rows.parameters(stored_at))
            middle = len(made) // 2  # its copy follows it, in its statement or the next
            return iter([*made[: middle + 1], made[middle], *made[middle + 1 :]])

        return PreparedRows(lambda: iter(rows), parameters)

    monkeypatch.setattr("coord.projections.rebuild.rows_of", with_a_duplicate)
    # raised by the driver (its rows are written through it)
    with pytest.raises(database.engine.dialect.loaded_dbapi.IntegrityError):
        rebuild(database.store)
    with database.engine.connect() as connection:
        assert stored_rows(connection, "read_models") == before
        assert checkpoint(connection) == position
