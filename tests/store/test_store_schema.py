"""Schema creation and upgrade (``coord init``) and the append-only triggers."""

from __future__ import annotations

import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import Pool
from store_helpers import patient, site

from coord.store import (
    EventStore,
    InvalidTimeZone,
    NewerSchema,
    NotInitialised,
    OutdatedSchema,
    check_schema,
    create_engine_for,
    upgrade,
)
from coord.store.migrate import SCHEMA_HEAD, head_revision, migrations_dir, schema_revision
from coord.store.schema import APPEND_ONLY_MESSAGE, metadata


def test_init_is_idempotent_and_stores_the_time_zone(db_url: str) -> None:
    engine = create_engine_for(db_url)
    try:
        with pytest.raises(NotInitialised, match="coord init"):
            check_schema(engine)
        assert upgrade(engine) == ZoneInfo("Europe/London")
        assert check_schema(engine) == ZoneInfo("Europe/London")
        assert upgrade(engine, "America/New_York") == ZoneInfo("America/New_York")
        assert check_schema(engine) == ZoneInfo("America/New_York")
        assert upgrade(engine) == ZoneInfo("America/New_York")  # keeps the stored zone
        assert check_schema(engine) == ZoneInfo("America/New_York")
        with pytest.raises(InvalidTimeZone, match="Mars/Olympus"):
            upgrade(engine, "Mars/Olympus")
        assert check_schema(engine) == ZoneInfo("America/New_York")
    finally:
        engine.dispose()


def test_new_database_with_a_time_zone(db_url: str) -> None:
    engine = create_engine_for(db_url)
    try:
        upgrade(engine, "Europe/Paris")
        assert check_schema(engine) == ZoneInfo("Europe/Paris")
    finally:
        engine.dispose()


def test_migrations_match_the_schema_module(engine: Engine) -> None:
    with engine.connect() as connection:
        assert schema_revision(connection) == head_revision()
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_the_release_works_with_the_last_migration() -> None:
    """Opening a database compares its revision with SCHEMA_HEAD (without Alembic): a
    new migration must move it, or every database it upgrades would be refused."""
    assert head_revision() == SCHEMA_HEAD


def test_a_database_one_migration_behind_is_reported_outdated(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    with pytest.raises(OutdatedSchema, match="run `coord init`"):
        check_schema(engine)


def test_opening_a_database_does_not_load_alembic(db_url: str) -> None:
    """Alembic (and its scripts) are for ``coord init``: every other command opens the
    database without importing it, which was about 15 % of a command's start-up."""
    upgrade_engine = create_engine_for(db_url)
    try:
        upgrade(upgrade_engine)
    finally:
        upgrade_engine.dispose()
    program = (
        "import sys\n"
        "from coord.app.database import open_database\n"
        f"open_database({db_url!r}).close()\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'alembic'))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == "[]"


def test_opening_a_database_reads_its_schema_and_zone_on_one_connection(db_url: str) -> None:
    """Every command opens its database: the schema's revision and the network's time
    zone are read on one connection, not one each."""
    from coord.app.database import initialise, open_database

    initialise(db_url, "America/New_York").close()
    checkouts: list[object] = []

    def checked_out(*_: object) -> None:
        checkouts.append(_)

    event.listen(Pool, "checkout", checked_out)
    try:
        database = open_database(db_url)
    finally:
        event.remove(Pool, "checkout", checked_out)
    try:
        assert database.time_zone == ZoneInfo("America/New_York")
        assert len(checkouts) == 1
    finally:
        database.close()


def test_unknown_revision_is_reported_as_newer(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(NewerSchema, match="newer coord"):
        check_schema(engine)


def test_outdated_schema_message() -> None:
    assert "coord init" in str(OutdatedSchema("0001", "0002"))
    assert (migrations_dir() / "env.py").is_file()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET type = 'Tampered'",
        "DELETE FROM events",
        "UPDATE event_references SET key = 'x'",
        "DELETE FROM event_references",
    ],
)
def test_the_log_is_append_only(store: EventStore, statement: str) -> None:
    with store.writing() as writer:
        writer.append([site("S1")])
        writer.append([patient("P1", "S1")])
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
        connection.execute(text(statement))
    with store.reading() as reader:
        assert reader.count() == 2


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has no TRUNCATE
def test_truncate_is_rejected_on_postgresql(store: EventStore) -> None:
    with store.writing() as writer:
        writer.append([site("S1")])
    for table in ("event_references", "events"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {table} CASCADE"))
    assert APPEND_ONLY_MESSAGE.startswith("coord:")
