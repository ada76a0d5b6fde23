"""The auditor's questions as values: the default period, the words of a query, the
table laid out from a report, the gaps and a trend, and two-line headings."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from coord.app.auditing import AuditQuery, default_period, heading, run_query, table_of
from coord.app.database import Database
from coord.app.reporting import build_gaps, build_report
from coord.app.trends import Trend
from coord.reports import REPORTS, Period

LONDON = ZoneInfo("Europe/London")


def test_default_period_is_the_twelve_months_ending_with_this_one() -> None:
    now = datetime(2024, 12, 31, 23, 30, tzinfo=UTC)  # already 2024-12-31 in London
    assert default_period(now, LONDON) == Period(date(2024, 1, 1), date(2025, 1, 1))
    summer = datetime(2024, 6, 30, 23, 30, tzinfo=UTC)  # 1 July in London (BST)
    assert default_period(summer, LONDON) == Period(date(2023, 8, 1), date(2024, 8, 1))


def test_a_query_says_what_it_asks() -> None:
    query = AuditQuery(
        "gaps",
        date(2024, 12, 1),
        date(2025, 1, 1),
        site="S09",
        as_of=datetime(2024, 12, 20, tzinfo=UTC),
    )
    assert query.describe() == (
        "information gaps 2024-12-01 to 2025-01-01, site S09, as known at 2024-12-20T00:00:00Z"
    )
    assert query.file_stem() == "gaps-2024-12-01-2025-01-01-S09"
    report = AuditQuery("transfers", date(2024, 1, 1), date(2025, 1, 1))
    assert report.describe() == "transfers by from_site 2024-01-01 to 2025-01-01"


def test_headings_split_into_two_balanced_lines() -> None:
    assert heading("key") == "key"
    assert heading("items_required") == "items\nrequired"
    assert heading("deferral_rate_missing_information") == "deferral rate\nmissing information"


def test_tables_of_a_report_the_gaps_and_a_trend(sample_db: Database) -> None:
    store, zone = sample_db.store, sample_db.time_zone
    year = (date(2024, 1, 1), date(2025, 1, 1))
    report = run_query(store, zone, AuditQuery("handovers", *year, by="to_site")).answer
    columns, rows = table_of(report, zone)
    assert columns[:3] == ["key", "initiated", "acknowledged"]
    assert rows[-1][0] == "total"
    assert rows[-1][1] == str(sum(int(r[1]) for r in rows[:-1]))
    gaps = run_query(store, zone, AuditQuery("gaps", *year, site="S09")).answer
    columns, rows = table_of(gaps, zone)
    assert columns[:3] == ["case_id", "meeting_id", "patient_id"]
    discussed = columns.index("discussed_at")
    # 2024-06-04T07:09Z is 08:09 in London (BST)
    assert rows[0][discussed] == "2024-06-04 08:09"
    trend = run_query(store, zone, AuditQuery("chart:turnaround", *year)).answer
    assert isinstance(trend, Trend)
    columns, rows = table_of(trend, zone)
    assert columns[0] == "month" and len(rows) == 12


@pytest.mark.parametrize(
    "known_at",
    [
        datetime(2023, 1, 1, tzinfo=UTC),  # before the log: nothing known
        datetime(2024, 7, 3, 9, 30, tzinfo=UTC),  # mid-year
        datetime(2030, 1, 1, tzinfo=UTC),  # after the log: all of it
    ],
)
def test_as_of_answers_are_the_replayed_reports(sample_db: Database, known_at: datetime) -> None:
    """As of an instant the auditor reads only the prefix of the log recorded by then;
    the answers must be exactly build_report's and build_gaps's (which read it all)."""
    store, zone = sample_db.store, sample_db.time_zone
    year = Period(date(2024, 1, 1), date(2025, 1, 1))
    for name in REPORTS:
        query = AuditQuery(name, year.from_date, year.to_date, as_of=known_at)
        expected = build_report(store, zone, name, year, None, known_at)
        assert run_query(store, zone, query).answer == expected
    query = AuditQuery("gaps", year.from_date, year.to_date, site="S09", as_of=known_at)
    expected_gaps = build_gaps(store, zone, year, site="S09", as_of=known_at)
    assert run_query(store, zone, query).answer == expected_gaps
