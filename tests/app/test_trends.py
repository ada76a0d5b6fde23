"""Trends: each month's value is the report's own figure for that month, live and as
known at a past instant."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from coord.app.database import Database
from coord.app.reporting import build_report
from coord.app.trends import TRENDS, build_trend, months_of
from coord.reports import Period

YEAR = Period(date(2024, 1, 1), date(2025, 1, 1))


def test_months_cut_a_period_at_month_boundaries() -> None:
    parts = months_of(Period(date(2024, 1, 15), date(2024, 3, 2)))
    assert parts == [
        Period(date(2024, 1, 15), date(2024, 2, 1)),
        Period(date(2024, 2, 1), date(2024, 3, 1)),
        Period(date(2024, 3, 1), date(2024, 3, 2)),
    ]


@pytest.mark.parametrize("name", sorted(TRENDS))
def test_each_point_is_the_reports_figure_for_that_month(sample_db: Database, name: str) -> None:
    definition = TRENDS[name]
    trend = build_trend(sample_db.store, sample_db.time_zone, name, YEAR)
    assert len(trend.months) == 12
    assert trend.series, "the sample has figures for every chart"
    for index, month in enumerate(months_of(YEAR)):
        figures = build_report(
            sample_db.store, sample_db.time_zone, definition.report, month, definition.by
        )
        expected = {
            row.key: getattr(row, definition.field)
            for row in figures.rows
            if getattr(row, definition.field) is not None
        }
        got = {s.key: s.values[index] for s in trend.series if s.values[index] is not None}
        assert got == {key: float(value) for key, value in expected.items()}


def test_as_of_replays_the_log_as_it_was_known(sample_db: Database) -> None:
    known_at = datetime(2024, 6, 1, tzinfo=UTC)
    trend = build_trend(sample_db.store, sample_db.time_zone, "completeness", YEAR, as_of=known_at)
    later_months = trend.months.index("2024-07")
    assert all(s.values[later_months] is None for s in trend.series)
    live = build_trend(sample_db.store, sample_db.time_zone, "completeness", YEAR)
    assert any(s.values[later_months] is not None for s in live.series)


def test_unknown_chart_is_refused_with_the_choices(sample_db: Database) -> None:
    with pytest.raises(ValueError, match="completeness"):
        build_trend(sample_db.store, sample_db.time_zone, "nope", YEAR)


def test_as_of_points_are_the_replayed_reports_figures(sample_db: Database) -> None:
    """The trend reads only the prefix of the log recorded by ``as_of``; each month must
    still be exactly what the report replayed as known at ``as_of`` says."""
    known_at = datetime(2024, 9, 15, 12, 0, tzinfo=UTC)
    definition = TRENDS["turnaround"]
    trend = build_trend(sample_db.store, sample_db.time_zone, "turnaround", YEAR, as_of=known_at)
    for index, month in enumerate(months_of(YEAR)):
        figures = build_report(
            sample_db.store,
            sample_db.time_zone,
            definition.report,
            month,
            definition.by,
            known_at,
        )
        expected = {
            row.key: float(getattr(row, definition.field))
            for row in figures.rows
            if getattr(row, definition.field) is not None
        }
        got = {s.key: s.values[index] for s in trend.series if s.values[index] is not None}
        assert got == expected
