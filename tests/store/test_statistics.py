"""After a bulk write, PostgreSQL's planner gets fresh statistics of the tables written
and their visibility maps (``VACUUM (ANALYZE)``, after the commit); an import small
beside its log leaves them to autovacuum, and SQLite is never analysed (its planner's defaults pick the index ranges
the reports' plan tests pin)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from coord.app.database import Database
from coord.app.importing import import_files
from coord.projections.rebuild import rebuild
from coord.store.statistics import IMPORTED_TABLES

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample-network.jsonl"


def run_import(database: Database, path: Path) -> None:
    import_files(database.store, [path], on_rejection=print)


def analysed(database: Database) -> dict[str, datetime | None]:
    """When each written table was last vacuumed and analysed by a command (not by
    autovacuum); None unless both were done, and at the same time."""
    with database.store.engine.connect() as connection:
        found = connection.execute(
            text("SELECT relname, last_vacuum, last_analyze FROM pg_stat_user_tables")
        ).all()
    return {
        name: vacuumed if vacuumed and analysed and vacuumed <= analysed else None
        for name, vacuumed, analysed in found
        if name in IMPORTED_TABLES
    }


def halves(tmp_path: Path) -> tuple[Path, Path]:
    """The sample network's log as its first 2,500 lines and the remaining 300."""
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    first, rest = tmp_path / "first.jsonl", tmp_path / "rest.jsonl"
    first.write_bytes(b"".join(lines[:2500]))
    rest.write_bytes(b"".join(lines[2500:]))
    return first, rest


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_bulk_import_analyses_the_tables_it_filled(database: Database) -> None:
    assert set(analysed(database).values()) == {None}
    run_import(database, SAMPLE)
    after = analysed(database)
    assert sorted(after) == sorted(IMPORTED_TABLES)
    assert None not in after.values()
    with database.store.engine.connect() as connection:
        estimated, visible = connection.execute(
            text("SELECT reltuples, relallvisible FROM pg_class WHERE relname = 'events'")
        ).one()
    assert estimated == 2800
    assert visible > 0  # index-only scans need not visit these pages


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_import_small_beside_its_log_leaves_the_statistics_to_autovacuum(
    database: Database, tmp_path: Path
) -> None:
    first, rest = halves(tmp_path)
    run_import(database, first)
    before = analysed(database)
    assert None not in before.values()
    run_import(database, rest)  # 300 events beside 2,500: batch by batch
    assert analysed(database) == before


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_rebuild_analyses_the_read_models(database: Database) -> None:
    run_import(database, SAMPLE)
    before = analysed(database)
    rebuild(database.store)
    after = analysed(database)
    assert after["read_models"] is not None and before["read_models"] is not None
    assert after["read_models"] > before["read_models"]
    assert after["events"] == before["events"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_is_never_analysed(database: Database) -> None:
    run_import(database, SAMPLE)
    rebuild(database.store)
    with database.store.engine.connect() as connection:
        statistics = connection.execute(
            text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlite_stat%'")
        ).scalar_one()
    assert statistics == 0
