"""The fast paths of the live reports and the gaps query against their definitions:
the total's percentiles found by bisection over the groups' sorted values equal those of
all the values sorted together; the gaps query's hours late rounded from whole
microseconds equal the exact rounding; each group's values come back from SQL complete
and ascending; and the live gaps query (the gap rows kept in the read models) equals the
replay for every presenting site, pathway and period, on SQLite and PostgreSQL —
including a case discussed twice with an item missing at both discussions, and a
transfer and chase recorded after its discussion — its rows read back from their
payloads as validating them makes them."""

from __future__ import annotations

import gc
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from itertools import chain
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event

from coord.app.database import Database, initialise
from coord.app.importing import import_files
from coord.app.recording import record
from coord.app.reporting import build_gaps, build_report
from coord.demo.generator import generate
from coord.demo.network import load_network
from coord.events import Event, encode_event
from coord.events.types import CaseListed
from coord.projections.live import local_months, ranked_together, utc_bounds
from coord.reports import GapRow, Period, compute_gaps
from coord.reports.gaps import gap_rows_of_payloads
from coord.reports.stats import duration, ranked, whole_duration
from coord.store import aggregates
from coord.store.schema import read_models
from reports.builders import discussed, ev, listed, meeting, protocol, received, relisted, step
from reports.builders import transfer as transfer_requested

LONDON_PERIOD = Period(date(2025, 3, 1), date(2025, 5, 1))
AFTER_EVERYTHING = datetime(2100, 1, 1, tzinfo=UTC)


@given(st.lists(st.lists(st.integers(-(10**12), 10**12), max_size=30), max_size=6))
def test_ranked_together_equals_ranking_all_the_values(groups: list[list[int]]) -> None:
    ascending = [sorted(group) for group in groups]
    assert ranked_together(ascending) == ranked(chain.from_iterable(groups))


@given(st.integers(-(10**15), 10**15), st.integers(1, 10**10))
def test_whole_duration_is_the_exact_rounding(numerator: int, denominator: int) -> None:
    assert whole_duration(numerator, denominator) == duration(Fraction(numerator, denominator))


def _import(database: Database, log: bytes, tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(log)
    import_files(
        database.store, [path],
        on_rejection=lambda rejection: pytest.fail(str(rejection)),
        now=AFTER_EVERYTHING,
    )  # fmt: skip


@pytest.fixture
def network(db_url: str, tmp_path: Path) -> Iterator[Database]:
    """Two months of the demo network (dozens of information gaps)."""
    out = io.BytesIO()
    generate(load_network(), seed=7, months=2, out=out, scale=0.15, start=date(2025, 3, 3))
    database = initialise(db_url)
    _import(database, out.getvalue(), tmp_path)
    yield database
    database.close()


def _replayed(database: Database) -> list[Event]:
    with database.store.reading() as reader:
        return [s.event for s in reader.read_all()]


def _gaps_agree(database: Database, periods: list[Period]) -> int:
    """Assert live == replay for each period, and each presenting site and pathway of the
    cases (and none, and one there is not); return how many gap rows were compared."""
    events = _replayed(database)
    zone = database.time_zone
    listings = [e.data for e in events if isinstance(e.data, CaseListed)]
    sites: set[str | None] = {None, "nowhere", *(c.presenting_site for c in listings)}
    pathways: set[str | None] = {None, "nowhere", *(c.pathway for c in listings)}
    compared = 0
    for period in periods:
        for site in sites:
            for pathway in pathways:
                live = build_gaps(database.store, zone, period, site=site, pathway=pathway)
                replayed = compute_gaps(
                    events, period, zone, site=site, pathway=pathway, as_of=AFTER_EVERYTHING
                )
                expected = replayed.model_dump(mode="json", exclude={"as_of"})
                assert live.model_dump(mode="json", exclude={"as_of"}) == expected
                compared += len(live.rows)
    return compared


def test_live_gaps_equal_the_replay_for_every_site_pathway_and_period(network: Database) -> None:
    periods = [
        LONDON_PERIOD,
        Period(date(2025, 3, 1), date(2025, 4, 1)),
        Period(date(2025, 4, 1), date(2025, 5, 1)),
        Period(date(2025, 3, 30), date(2025, 3, 31)),  # the day the clocks change
        Period(date(2020, 1, 1), date(2020, 2, 1)),  # nothing
    ]
    assert _gaps_agree(network, periods) > 100


def _twice_discussed() -> list[Event]:
    """C1 is discussed at M1 missing imaging and pathology; pathology arrives; it is
    relisted and discussed at M2 still missing imaging, which arrives later by the second
    of two transfers (the first chased and failed). C2, discussed at M2 at the same
    instant, never receives its imaging."""
    registered = [
        ev("SiteRegistered", "2024-01-01T00:00Z", site_id=site, name=f"Hospital {site}",
           specialist_for=["prostate"] if site == "S1" else [])
        for site in ("S1", "S2", "S3")
    ] + [ev("PatientRegistered", "2024-01-01T00:00Z", patient_id=p) for p in ("P1", "P2")]  # fmt: skip
    return [
        *registered,
        protocol("prostate", 1, ["imaging", "pathology_report"]),
        meeting("M1", "2024-03-05T10:00Z", "2024-03-04T12:00Z"),
        meeting("M2", "2024-03-26T10:00Z", "2024-03-25T12:00Z"),
        listed("C1", "M1", "2024-02-20T09:00Z", site="S2", patient_id="P1"),
        transfer_requested("T1", "2024-02-21T09:00Z", case_id="C1", item="imaging"),
        step("TransferChased", "T1", "2024-02-28T09:00Z"),
        step("TransferFailed", "T1", "2024-03-01T09:00Z", reason="lost"),
        discussed("C1", "M1", "2024-03-05T10:30Z"),
        listed("C2", "M2", "2024-03-10T09:00Z", site="S3", patient_id="P2"),
        received("C1", "pathology_report", "2024-03-10T10:00Z"),
        relisted("C1", "M2", "2024-03-11T09:00Z"),
        received("C2", "pathology_report", "2024-03-12T09:00Z"),
        transfer_requested("T2", "2024-03-20T09:00Z", case_id="C1", item="imaging"),
        discussed("C1", "M2", "2024-03-26T10:30Z"),
        discussed("C2", "M2", "2024-03-26T10:30Z"),
        step("TransferReceived", "T2", "2024-03-27T12:30Z"),
    ]


def test_a_case_discussed_twice_with_an_item_missing_both_times(
    db_url: str, tmp_path: Path
) -> None:
    database = initialise(db_url)
    try:
        log = b"".join(orjson.dumps(encode_event(e)) + b"\n" for e in _twice_discussed())
        _import(database, log, tmp_path)
        year = Period(date(2024, 1, 1), date(2025, 1, 1))
        rows = build_gaps(database.store, database.time_zone, year).model_dump(mode="json")
        assert [
            (r["case_id"], r["meeting_id"], r["item"], r["arrived_by"], r["hours_late"])
            for r in rows["rows"]
        ] == [
            ("C1", "M1", "imaging", "transfer", 530.0),
            ("C1", "M1", "pathology_report", "received", 119.5),
            ("C1", "M2", "imaging", "transfer", 26.0),
            ("C2", "M2", "imaging", None, None),
        ]
        assert [(r["transfer_ids"], r["chases"]) for r in rows["rows"]] == [
            (["T1", "T2"], 1),
            ([], 0),
            (["T1", "T2"], 1),
            ([], 0),
        ]
        march = [Period(date(2024, 3, 1), date(2024, 4, 1)), year]
        # each period: every row with no filter and with its pathway, C1's and C2's with
        # their sites (and with their pathway)
        assert _gaps_agree(database, march) == 2 * (4 + 4 + 3 + 3 + 1 + 1)
    finally:
        database.close()


def test_each_groups_values_come_back_complete_and_ascending(network: Database) -> None:
    """``groups_by``'s values of a group are its records' non-null values, ascending."""
    start, end = utc_bounds(LONDON_PERIOD, network.time_zone)
    months = local_months(LONDON_PERIOD, network.time_zone)
    with network.store.reading() as reader:
        rows = reader.connection.execute(
            read_models.select().where(read_models.c.kind.in_(("transfer", "handover")))
        )
        expected: dict[tuple[str, str], list[int]] = {}
        for row in rows:
            if start <= row.at < end and row.elapsed_us is not None:
                expected.setdefault((row.kind, row.from_site), []).append(row.elapsed_us)
        found: dict[tuple[str, str], Any] = {}
        for kind in ("transfer", "handover"):
            groups = aggregates.groups_by(
                reader.connection, kind, start, end, "from_site", months,
                {"rows": ("rows",)}, "elapsed_us",
            )  # fmt: skip
            found |= {(kind, key): group.values for key, group in groups.items()}
    assert {k: v for k, v in found.items() if v} == {k: sorted(v) for k, v in expected.items()}
    assert sum(len(v) for v in expected.values()) > 50


def _gaps_statements(database: Database, period: Period) -> list[tuple[str, Any]]:
    """The SQL the gaps query runs and its parameters (as sent to the driver)."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        statements.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        build_gaps(database.store, database.time_zone, period)
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    return statements


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_gaps_query_is_one_range_read_of_its_rows(network: Database) -> None:
    """The gaps query reads the gap rows the read models keep: one statement, a range of
    the ``(kind, at)`` index (no scan of the table, no lookup per discussion)."""
    assert network.engine.dialect.name == "sqlite"
    statements = _gaps_statements(network, LONDON_PERIOD)
    ((query, parameters),) = [(s, p) for s, p in statements if "read_models" in s]
    with network.engine.connect() as connection:
        explained = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}", parameters)
        plan = [row[3] for row in explained]
    searches = [step for step in plan if step.startswith("SEARCH")]
    assert searches == [
        "SEARCH read_models USING INDEX ix_read_models_kind_at_figures (kind=? AND at>? AND at<?)"
    ], plan
    assert not [step for step in plan if step.startswith("SCAN")], plan


def test_a_later_transfer_and_chase_change_the_gap_rows_kept(db_url: str, tmp_path: Path) -> None:
    """The gap rows are kept by the projector: a transfer received, and a chase, each
    recorded as a command of its own after the discussion, write the case's gap rows
    again (as the replay shows them)."""
    database = initialise(db_url)
    try:
        *before, received_by_transfer = _twice_discussed()
        _import(database, b"".join(orjson.dumps(encode_event(e)) + b"\n" for e in before), tmp_path)
        year = Period(date(2024, 1, 1), date(2025, 1, 1))

        def c1_at_m2() -> tuple[Any, ...]:
            rows = build_gaps(database.store, database.time_zone, year).rows
            (row,) = [r for r in rows if (r.case_id, r.meeting_id) == ("C1", "M2")]
            return (row.arrived_by, row.hours_late, row.transfer_ids, row.chases)

        assert c1_at_m2() == (None, None, ["T1", "T2"], 1)
        chased = step("TransferChased", "T2", "2024-03-27T09:00Z")
        for late in (chased, received_by_transfer):
            record(database.store, late, now=AFTER_EVERYTHING)
        assert c1_at_m2() == ("transfer", Decimal("26.00"), ["T1", "T2"], 2)
        assert _gaps_agree(database, [year]) > 0
    finally:
        database.close()


@pytest.mark.parametrize("enabled", [True, False])
def test_the_gaps_query_leaves_the_garbage_collector_as_it_found_it(
    network: Database, enabled: bool
) -> None:
    """The collector is paused while the gap rows are made, then left as it was."""
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        rows = build_gaps(network.store, network.time_zone, LONDON_PERIOD).rows
        assert rows and gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_the_gap_rows_are_left_to_the_oldest_generation_untraversed(network: Database) -> None:
    """What the gaps query made while the collector was paused is moved to the oldest
    generation, not left young for the next collection to traverse all of it (a year's
    rows at 913k events: 10-18 ms of CPU, finding nothing)."""
    was = gc.isenabled()
    gc.enable()
    try:
        rows = build_gaps(network.store, network.time_zone, LONDON_PERIOD).rows
        oldest = {id(o) for o in gc.get_objects(generation=2)}
        assert rows and all(id(row) in oldest for row in rows)
    finally:
        (gc.enable if was else gc.disable)()


def _report_statements(database: Database, name: str) -> list[tuple[str, Any]]:
    """The SQL over the read models that the live report ``name`` runs, and its
    parameters (as sent to the driver)."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        statements.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        build_report(database.store, database.time_zone, name, LONDON_PERIOD, None)
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    return [(s, p) for s, p in statements if "read_models" in s]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_steps_naming_meetings_are_counted_per_meeting_from_the_ref_index(
    network: Database,
) -> None:
    """Each meeting's listings, those ready at the cutoff, discussions and deferrals are
    counted in the ``(kind, ref)`` index's range of that meeting: no grouping of every
    step of the period's meetings."""
    (_, (query, parameters)) = _report_statements(network, "meetings")
    with network.engine.connect() as connection:
        explained = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}", parameters)
        plan = [row[3] for row in explained]
    counted = [step for step in plan if "ix_read_models_kind_ref_owner (kind=? AND ref=?)" in step]
    assert len(counted) == 4, plan
    assert not [step for step in plan if "TEMP B-TREE" in step or step.startswith("SCAN")], plan


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_hashes_a_reports_groups_and_sorts_each_groups_values(
    network: Database,
) -> None:
    """The groups of a report's tallies can be aggregated by hashing (an ordered
    ``array_agg`` made PostgreSQL sort every record of a year by the key's collation
    first, spilling to disk), and each group's values then come back sorted by the
    server, not left to be sorted in Python. Sorting records is priced out here, since
    at a test's few records the planner would sort them anyway."""
    assert network.engine.dialect.name == "postgresql"
    compared = 0
    for name in ("transfers", "handovers", "referrals"):
        # the two months read in halves (coord.store.halves): a statement for each
        statements = _report_statements(network, name)
        assert len(statements) == 2
        for query, parameters in statements:
            with network.engine.begin() as connection:
                connection.exec_driver_sql("SET LOCAL enable_sort = off")
                explained = connection.exec_driver_sql(f"EXPLAIN {query}", parameters)
                plan = [row[0] for row in explained]
                rows = connection.exec_driver_sql(query, parameters).all()
            assert [step for step in plan if "HashAggregate" in step], plan
            assert not [step for step in plan if "Sort" in step], plan
            arrays = [row[-1] for row in rows if row[-1] is not None]
            assert arrays and all(values == sorted(values) for values in arrays)
            compared += sum(len(values) for values in arrays)
    assert compared > 50


def test_the_gap_rows_read_back_are_those_validation_makes(network: Database) -> None:
    """The live gaps query makes its rows from the read models' payloads without
    validating them again: every stored gap row of a generated log comes back as
    validating its payload makes it - equal, the same fields set, each value of the
    same type (instants in the same zone, decimals with the same digits)."""
    with network.engine.connect() as connection:
        payloads = aggregates.gap_payloads(
            connection, datetime(2000, 1, 1, tzinfo=UTC), AFTER_EVERYTHING
        )
    validated = [GapRow.model_validate_json(orjson.dumps(p)) for p in payloads]
    read = gap_rows_of_payloads(payloads)
    assert len(read) == len(validated) > 20
    for row, expected in zip(read, validated, strict=True):
        assert type(row) is GapRow and row == expected
        assert row.model_fields_set == expected.model_fields_set == set(GapRow.model_fields)
        for name in GapRow.model_fields:
            value, wanted = getattr(row, name), getattr(expected, name)
            assert type(value) is type(wanted) and str(value) == str(wanted), name
            if isinstance(value, datetime):
                assert value.tzinfo is wanted.tzinfo, name
        assert row.model_dump(mode="json") == expected.model_dump(mode="json")
