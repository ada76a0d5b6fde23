"""A period's live reports and gaps query cost the same however long the log before it
(the benchmark's curve by history length, ``python -m bench --history``): every
statement they run reads the read models by an index range bounded by the period — the
``(kind, at)`` index between its two instants, or the ``(kind, ref)`` index at one of the
period's meetings — and the log's head by one step of its primary key, never a scan of a
table or of a whole kind. Pinned by the plans of SQLite and of PostgreSQL (with and
without the statistics an ANALYZE gives it, and sequential scans priced out, since at a
test's few rows it would rather read the whole table)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event

from coord.app.database import Database, initialise
from coord.app.importing import import_files
from coord.app.reporting import build_gaps, build_report
from coord.demo.generator import generate
from coord.demo.network import load_network
from coord.reports import REPORTS, Period

#: the log runs from 2023-01-02 to 2025-04-02: its latest full month and year
PERIODS = (Period(date(2025, 3, 1), date(2025, 4, 1)), Period(date(2024, 4, 1), date(2025, 4, 1)))
PERIOD_RANGE = "(kind=? AND at>? AND at<?)"
MEETING_RANGE = "(kind=? AND ref=?)"


@pytest.fixture
def history(db_url: str, tmp_path: Path) -> Iterator[Database]:
    """Twenty-seven months of a small demo network."""
    out = io.BytesIO()
    generate(load_network(), seed=5, months=27, out=out, scale=0.04, start=date(2023, 1, 2))
    path = tmp_path / "log.jsonl"
    path.write_bytes(out.getvalue())
    database = initialise(db_url)
    import_files(
        database.store, [path],
        on_rejection=lambda rejection: pytest.fail(str(rejection)),
        now=datetime(2100, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    yield database
    database.close()


def _statements(database: Database) -> list[tuple[str, Any]]:
    """Each distinct SELECT the live reports (default ``--by``) and the gaps query run
    over the periods, with its parameters."""
    statements: dict[tuple[str, str], tuple[str, Any]] = {}

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.setdefault((statement, repr(parameters)), (statement, parameters))

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        for period in PERIODS:
            for name in REPORTS:
                build_report(database.store, database.time_zone, name, period, None)
            build_gaps(database.store, database.time_zone, period)
    finally:
        event.remove(database.engine, "before_cursor_execute", note)
    assert len({s for s, _ in statements if "read_models" in s}) >= 8  # every report's
    return list(statements.values())


#: steps of a plan that read no table: a ``SELECT`` of scalar subqueries (the snapshot
#: mark of a period read in halves, :mod:`coord.store.halves`) and the schema's version
NOT_TABLES = ("SCAN CONSTANT ROW", "SCAN pragma_schema_version VIRTUAL TABLE")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_reads_only_the_periods_ranges(history: Database) -> None:
    with history.engine.connect() as connection:
        for statement, parameters in _statements(history):
            explained = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plan = [row[3] for row in explained]
            for step in plan:
                if step.startswith("SEARCH") and "read_models" in statement:
                    assert step.endswith((PERIOD_RANGE, MEETING_RANGE)), (statement, plan)
                if step.startswith(NOT_TABLES):
                    continue
                if step.startswith("SCAN"):  # only the head: the rowid walked back, LIMIT 1
                    assert step == "SCAN events", (statement, plan)
                    assert "ORDER BY events.position DESC LIMIT" in " ".join(statement.split())
                    assert not [s for s in plan if "TEMP B-TREE" in s], (statement, plan)


def _nodes(node: dict[str, Any], parent: dict[str, Any] | None = None) -> Iterator[Any]:
    yield node, parent
    for child in node.get("Plans", ()):
        yield from _nodes(child, node)


def _check_postgresql_plans(connection: Connection, statements: list[tuple[str, Any]]) -> None:
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    for statement, parameters in statements:
        explained = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        (root,) = explained.scalar_one()
        for node, parent in _nodes(root["Plan"]):
            assert node["Node Type"] != "Seq Scan", (statement, root)
            index = node.get("Index Name")
            if index is None:
                continue
            condition = node.get("Index Cond", "")
            if index == "ix_read_models_kind_at_figures":
                assert "(at >= " in condition and "(at < " in condition, (statement, root)
            elif index == "ix_read_models_kind_ref_owner":
                assert "(ref = " in condition, (statement, root)
            elif not condition:  # the head: the primary key walked back, LIMIT 1
                assert index == "pk_events" and node["Scan Direction"] == "Backward"
                assert parent is not None and parent["Node Type"] == "Limit", (statement, root)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_reads_only_the_periods_ranges(history: Database) -> None:
    statements = _statements(history)
    with history.engine.begin() as connection:  # as just after an import: no statistics
        _check_postgresql_plans(connection, statements)
    with history.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")
    with history.engine.begin() as connection:
        _check_postgresql_plans(connection, statements)
