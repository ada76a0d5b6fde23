"""Schema evolution (issue 6, item 6): a database created by the first migration, with a
log in it, upgrades to head and then works (reports equal to a fresh import, verify, more
imports); the models and the migrations agree (no drift, what `alembic check` checks); and
events written at schema_version 1 are read back through the store, upcast, after a
version 2 of their type exists."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from coord.app.database import initialise
from coord.app.importing import import_files
from coord.app.reporting import build_gaps, build_report
from coord.events import DEFAULT_REGISTRY
from coord.events.fields import Text
from coord.events.types import TransferChased
from coord.reports import REPORTS, Period
from coord.store import EventStore, create_engine_for, upgrade, verify
from coord.store.engine import WRITE
from coord.store.migrate import alembic_config, head_revision, schema_revision
from coord.store.schema import metadata

from .helpers import generated_log

LONDON = ZoneInfo("Europe/London")
PERIOD = Period(date(2025, 1, 1), date(2026, 1, 1))


def upgrade_to(engine: Engine, revision: str) -> None:
    with engine.connect() as connection:
        connection.execution_options(**{WRITE: True})
        with connection.begin():
            command.upgrade(alembic_config(connection), revision)


def figures(url: str) -> dict[str, Any]:
    database = initialise(url)
    try:
        out: dict[str, Any] = {}
        for name, definition in REPORTS.items():
            for by in (None, *definition.by_keys):
                document = build_report(database.store, database.time_zone, name, PERIOD, by)
                out[f"{name}/{by}"] = document.model_dump(mode="json", exclude={"as_of"})
        gaps = build_gaps(database.store, database.time_zone, PERIOD)
        out["gaps"] = gaps.model_dump(mode="json", exclude={"as_of"})
        return out
    finally:
        database.close()


def test_a_first_migration_database_with_a_log_upgrades_to_head(
    db_url: str, db_url_factory: Any, tmp_path: Path
) -> None:
    log = generated_log(tmp_path / "log.jsonl", months=2, scale=0.1)
    engine = create_engine_for(db_url)
    try:
        upgrade_to(engine, "0001")
        with engine.connect() as connection:
            assert schema_revision(connection) == "0001"
            assert not inspect(connection).has_table("read_models")
        # what a release with only the first migration did: log, references, settings
        result = import_files(EventStore(engine), [log], on_rejection=pytest.fail)
        assert result.imported > 1000
    finally:
        engine.dispose()

    database = initialise(db_url)  # `coord init`: upgrade to head, fill the read models
    try:
        with database.engine.connect() as connection:
            assert schema_revision(connection) == head_revision()
        outcome = verify(database.engine)
        assert outcome.ok and outcome.events == result.imported
    finally:
        database.close()

    fresh = db_url_factory()
    database = initialise(fresh)
    try:
        import_files(database.store, [log], on_rejection=pytest.fail)
    finally:
        database.close()
    assert figures(db_url) == figures(fresh)
    # and the upgraded store keeps working: a re-import is all duplicates
    database = initialise(db_url)
    try:
        again = import_files(database.store, [log], on_rejection=pytest.fail)
        assert (again.imported, again.duplicates) == (0, result.imported)
    finally:
        database.close()


def test_the_migrations_create_exactly_the_models_schema(db_url: str) -> None:
    """No drift between ``coord.store.schema`` and ``migrations/`` (``alembic check``)."""
    engine = create_engine_for(db_url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "target_metadata": metadata}
            )
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


class TransferChasedV2(TransferChased):
    """Invented for this test: version 2 says how the transfer was chased. (A release
    adding it would make it the ``TransferChased`` the folds match; subclassing stands in.)"""

    VERSION: ClassVar[int] = 2
    channel: Text


def test_version_1_events_in_the_store_are_upcast_after_a_version_2_exists(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = generated_log(tmp_path / "log.jsonl", months=2, scale=0.05)
    database = initialise(db_url)
    try:
        import_files(database.store, [log], on_rejection=pytest.fail)
        with database.store.reading() as reader:
            before = [s.event for s in reader.read_all()]
        chases = [e for e in before if e.type == "TransferChased"]
        assert chases and all(e.schema_version == 1 for e in chases)
        head_before = verify(database.engine).head

        # a later release: TransferChased v2 and its upcaster (registered in place, as
        # a release's registry would be; undone when the test ends)
        models = DEFAULT_REGISTRY._models["TransferChased"]
        monkeypatch.setitem(models, 2, TransferChasedV2)
        monkeypatch.setitem(
            DEFAULT_REGISTRY._upcasters,
            ("TransferChased", 1),
            lambda data: {**data, "channel": "not recorded (v1)"},
        )
        with database.store.reading() as reader:
            after = [s.event for s in reader.read_all()]
            stream = reader.stream_events(chases[0].own_stream or "")
        upcast = [e for e in after if e.type == "TransferChased"]
        assert len(upcast) == len(chases)
        assert all(isinstance(e.data, TransferChasedV2) for e in upcast)
        assert {e.data.channel for e in upcast} == {"not recorded (v1)"}  # type: ignore[attr-defined]
        assert all(
            isinstance(e.data, TransferChasedV2) for e in stream if e.type == "TransferChased"
        )
        # the log keeps what was written: version 1, and the same hash chain
        assert all(e.schema_version == 1 and "channel" not in e.written_data for e in upcast)
        outcome = verify(database.engine)
        assert outcome.ok and outcome.head == head_before
        # reports read through the upcast events as before
        live = build_report(database.store, database.time_zone, "transfers", PERIOD, None)
        replayed = build_report(
            database.store,
            database.time_zone,
            "transfers",
            PERIOD,
            None,
            as_of=datetime(2100, 1, 1, tzinfo=UTC),
        )
        assert live.model_dump(exclude={"as_of"}) == replayed.model_dump(exclude={"as_of"})
    finally:
        database.close()
