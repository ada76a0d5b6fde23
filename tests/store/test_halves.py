"""A period of several months is read in two halves at once (:mod:`coord.store.halves`):
the reports' figures are those of the period read whole, for every report the read
models aggregate and every ``--by`` key, on SQLite and PostgreSQL; the halves come from
one snapshot (a commit landing between the reading connection's snapshot and the second
connection's is not counted); a single month, an in-memory SQLite database and a
PostgreSQL transaction that is not one snapshot are read whole."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import create_engine, event

from coord.app.database import Database, initialise
from coord.app.importing import import_files
from coord.app.recording import record
from coord.app.reporting import build_report
from coord.demo.generator import generate
from coord.demo.network import load_network
from coord.events import decode_event
from coord.reports import REPORTS, Period, Report
from coord.store import halves

#: the demo network's two months, March and April 2025: split where April starts
TWO_MONTHS = Period(date(2025, 3, 1), date(2025, 5, 1))
AFTER_EVERYTHING = datetime(2100, 1, 1, tzinfo=UTC)
#: the reports whose figures the read models aggregate in SQL (meetings counts its
#: meetings' steps by meeting, not by a range of records)
AGGREGATED = ("transfers", "handovers", "referrals", "completeness")


@pytest.fixture
def demo_log() -> bytes:
    out = io.BytesIO()
    generate(load_network(), seed=7, months=2, out=out, scale=0.15, start=date(2025, 3, 3))
    return out.getvalue()


@pytest.fixture
def network(db_url: str, tmp_path: Path, demo_log: bytes) -> Iterator[Database]:
    """Two months of the demo network."""
    path = tmp_path / "log.jsonl"
    path.write_bytes(demo_log)
    database = initialise(db_url)
    import_files(
        database.store, [path],
        on_rejection=lambda rejection: pytest.fail(str(rejection)),
        now=AFTER_EVERYTHING,
    )  # fmt: skip
    yield database
    database.close()


def _whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(halves, "splits", lambda connection: False)


def _grouped_reads(database: Database) -> Iterator[list[tuple[Any, ...]]]:
    """The parameters of each ``GROUP BY`` over the read models run meanwhile."""
    seen: list[tuple[Any, ...]] = []

    def spy(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if "read_models" in statement and "GROUP BY" in statement:
            seen.append(tuple(parameters))

    event.listen(database.engine, "before_cursor_execute", spy)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", spy)


def _report(database: Database, name: str, by: str | None, period: Period) -> Report[Any]:
    return build_report(database.store, database.time_zone, name, period, by)


@pytest.mark.parametrize("name", AGGREGATED)
def test_a_period_read_in_halves_has_the_figures_of_it_read_whole(
    network: Database, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_keys = REPORTS[name].by_keys
    reads = _grouped_reads(network)
    grouped = next(reads)
    in_halves = {by: _report(network, name, by, TWO_MONTHS) for by in by_keys}
    split = len(grouped)
    _whole(monkeypatch)
    grouped.clear()
    whole = {by: _report(network, name, by, TWO_MONTHS) for by in by_keys}
    reads.close()
    assert in_halves == whole
    # each GROUP BY was run once for each half; and the figures are not nil
    assert len(grouped) > 0
    assert split == 2 * len(grouped)
    assert any(row.key is not None for report in whole.values() for row in report.rows)


def test_where_a_period_is_split() -> None:
    march, april, may = (datetime(2025, m, 1, tzinfo=UTC) for m in (3, 4, 5))
    assert halves.middle_of([]) is None
    assert halves.middle_of([march]) is None
    assert halves.middle_of([march, april]) == april
    assert halves.middle_of([march, april, may]) == april


def test_a_month_is_read_whole(network: Database) -> None:
    reads = _grouped_reads(network)
    grouped = next(reads)
    _report(network, "transfers", None, Period(date(2025, 3, 1), date(2025, 4, 1)))
    reads.close()
    assert len(grouped) == 1


def test_in_memory_sqlite_and_a_postgresql_transaction_of_many_snapshots_are_read_whole(
    db_url: str, tmp_path: Path
) -> None:
    in_memory = create_engine("sqlite://")
    on_a_file = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with in_memory.connect() as memory, on_a_file.connect() as file:
        assert not halves.splits(memory)
        assert halves.splits(file)
    if db_url.startswith("postgresql"):
        engine = create_engine(db_url)
        with engine.connect() as connection:
            assert not halves.splits(connection)  # READ COMMITTED: a snapshot a statement
            connection.execution_options(isolation_level="REPEATABLE READ")
            assert halves.splits(connection)
        engine.dispose()


def test_a_commit_between_the_two_snapshots_is_not_counted(
    network: Database, demo_log: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transfer requested in March, recorded after the reading connection's snapshot
    was taken and before the second connection's: the report is the log as the reading
    connection saw it (SQLite: the earlier half read again there; PostgreSQL: the second
    connection reads in the reading one's snapshot), and the next one counts it."""
    requested = next(
        orjson.loads(line) for line in demo_log.splitlines() if b'"TransferRequested"' in line
    )
    late = decode_event(
        requested
        | {
            "event_id": "00000000-0000-4000-8000-00000000beef",
            "recorded_at": "2025-06-01T09:00:00Z",
            "data": {k: v for k, v in requested["data"].items() if k != "case_id"}
            | {"transfer_id": "T999999"},
        }
    )
    before = _report(network, "transfers", "month", TWO_MONTHS)
    second_connection = halves._read_on_second_connection
    landed: list[bool] = []

    def commit_first(*args: Any) -> Any:
        if not landed:
            record(network.store, late, now=AFTER_EVERYTHING)
            landed.append(True)
        return second_connection(*args)

    monkeypatch.setattr(halves, "_read_on_second_connection", commit_first)
    assert _report(network, "transfers", "month", TWO_MONTHS) == before
    assert landed
    after = _report(network, "transfers", "month", TWO_MONTHS)
    march = {row.key: row.requested for row in after.rows}["2025-03"]
    assert march == {row.key: row.requested for row in before.rows}["2025-03"] + 1
