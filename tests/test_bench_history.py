"""The benchmark's history curve: which logs it makes, which periods it times, its table
(the bench's own logic; no timings are asserted)."""

from __future__ import annotations

import io
import sys
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import create_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench.__main__ as main
from bench import data
from bench.__main__ import (
    REPORT_NAMES,
    HistoryLog,
    HistoryResult,
    SqliteBackend,
    history_growth,
    median_of,
    parse_history,
)

from coord.app.database import initialise
from coord.demo.generator import generate
from coord.demo.network import load_network


def test_every_history_ends_where_the_population_logs_end() -> None:
    assert date(2026, 11, 1) == data.HISTORY_END
    assert data.history_start(1) == data.START  # one year is the population curve's log
    assert data.history_start(3) == date(2023, 11, 1)
    assert data.history_start(9) == date(2017, 11, 1)
    with pytest.raises(ValueError):
        data.history_start(0)


def test_one_year_of_history_is_the_100k_population_log() -> None:
    """So a cache holding the 100k log already holds the first history log."""
    population = data.log_name(data.scale_for(100_000), data.MONTHS, data.START)
    history = data.log_name(data.HISTORY_SCALE, 12, data.history_start(1))
    assert population == history == "log-seed1-scale1.6-12m-2025-11-01.jsonl"


def test_the_periods_are_the_latest_month_and_year_whatever_the_length() -> None:
    expected = {"month": ["2026-10-01", "2026-11-01"], "year": ["2025-11-01", "2026-11-01"]}
    for years in (1, 3, 9):
        assert data.history_periods(years) == expected


def test_history_flag() -> None:
    assert parse_history("1,3,9") == [1, 3, 9]
    assert parse_history("9, 1,3,3") == [1, 3, 9]
    assert parse_history("") == []
    assert parse_history("none") == []
    with pytest.raises(SystemExit):
        parse_history("0,3")


def test_history_table_shows_each_length_and_the_growth(tmp_path: Path) -> None:
    def result(years: int, events: int, ms: float) -> HistoryResult:
        timings = {name: ms for name in REPORT_NAMES}
        log = HistoryLog(years, tmp_path / f"{years}.jsonl", events)
        return HistoryResult(log, {"month": timings, "year": timings}, 10.0)

    text = history_growth(
        SqliteBackend(tmp_path), [result(1, 100_000, 2.0), result(9, 900_000, 3.0)]
    )
    lines = text.splitlines()
    assert "by history length" in lines[0]
    assert "month 2026-10 / year 2025-11-01 to 2026-11-01" in lines[0]
    assert "1 y, 100,000" in lines[1] and "9 y, 900,000" in lines[1]
    gaps = next(line for line in lines if line.startswith("gaps"))
    assert gaps.split()[1:] == ["2.0", "/", "2.0", "3.0", "/", "3.0", "1.50x", "/", "1.50x"]
    assert history_growth(SqliteBackend(tmp_path), []) == ""


def test_history_figures_are_the_median_of_the_rounds() -> None:
    rounds = [
        {"month": {"gaps": 1.0, "meetings": 9.0}, "year": {"gaps": 5.0, "meetings": 2.0}},
        {"month": {"gaps": 3.0, "meetings": 1.0}, "year": {"gaps": 4.0, "meetings": 2.0}},
        {"month": {"gaps": 2.0, "meetings": 2.0}, "year": {"gaps": 9.0, "meetings": 1.0}},
    ]
    assert median_of(rounds) == {
        "month": {"gaps": 2.0, "meetings": 2.0},
        "year": {"gaps": 5.0, "meetings": 2.0},
    }


class FakeBackend(SqliteBackend):
    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.made: list[str] = []
        self.dropped: list[str] = []
        self.settled: list[str] = []

    def settle(self, url: str) -> None:
        self.settled.append(url)

    def fresh(self, tag: str) -> str:
        self.made.append(tag)
        return tag

    def drop(self, url: str) -> None:
        self.dropped.append(url)


def test_history_imports_each_log_once_and_takes_the_lengths_in_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, str]] = []

    def run_task(name: str, **arguments: Any) -> dict[str, Any]:
        calls.append((name, arguments["url"]))
        if name == "import":
            return {"seconds": 2.0, "events": 100}
        ms = float(len(calls))
        figures = {n: ms for n in REPORT_NAMES}
        return {"ms": {"month": figures, "year": figures}}

    monkeypatch.setattr(main, "run_task", run_task)
    backend = FakeBackend(tmp_path)
    logs = [HistoryLog(y, tmp_path / f"{y}.jsonl", 100 * y) for y in (1, 3)]
    monkeypatch.setattr(main, "HISTORY_ROUNDS", 3)
    results = main.measure_history(backend, logs, report_runs=2)
    assert calls == [
        ("import", "history-1y"), ("import", "history-3y"),
        ("reports", "history-1y"), ("reports", "history-3y"),
        ("reports", "history-3y"), ("reports", "history-1y"),
        ("reports", "history-1y"), ("reports", "history-3y"),
    ]  # fmt: skip
    assert backend.settled == ["history-1y", "history-3y"]
    assert sorted(backend.dropped) == ["history-1y", "history-3y"]
    assert [r.log.years for r in results] == [1, 3]
    assert results[0].ms["month"]["gaps"] == 6.0  # rounds at calls 3, 6, 7
    assert main.measure_history(backend, [], report_runs=2) == []


def test_many_years_of_the_demo_network_stay_sensible() -> None:
    """Years of generated history: ids never repeat, NHS numbers never repeat, every
    pathway keeps its weekly meetings to the end, and the protocol revision is published
    once."""
    out = io.BytesIO()
    generate(load_network(), seed=3, months=40, out=out, scale=0.05, start=date(2020, 1, 6))
    events = [orjson.loads(line) for line in out.getvalue().splitlines()]
    kinds: dict[str, list[dict[str, object]]] = {}
    for event in events:
        kinds.setdefault(event["type"], []).append(event["data"])
    ids = [e["event_id"] for e in events]
    assert len(ids) == len(set(ids))
    patients = [d["patient_id"] for d in kinds["PatientRegistered"]]
    assert len(patients) == len(set(patients))
    nhs = [d["nhs_number"] for d in kinds["PatientRegistered"] if d.get("nhs_number")]
    assert len(nhs) == len(set(nhs))
    meetings = [str(d["scheduled_for"]) for d in kinds["MeetingScheduled"]]
    assert max(meetings) >= "2023-04"
    assert len(kinds["ProtocolPublished"]) == len(load_network().pathways) + 1
    recorded = [e["recorded_at"] for e in events]
    assert recorded == sorted(recorded)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_postgresql_history_database_is_settled_before_it_is_timed(
    db_url: str, postgres_server: Any
) -> None:
    """Vacuumed and analysed, as autovacuum leaves it a minute or two after an import."""
    initialise(db_url).close()
    main.PostgresBackend(postgres_server).settle(db_url)
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            done = connection.exec_driver_sql(
                "SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL "
                "FROM pg_stat_user_tables WHERE relname = 'read_models'"
            ).one()
    finally:
        engine.dispose()
    assert tuple(done) == (True, True)
