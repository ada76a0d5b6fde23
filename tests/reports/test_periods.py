"""Periods, local dates and months, elapsed hours and day counts in Europe/London."""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction

import pytest

from coord.events import parse_timestamp
from coord.reports import Period, days_since, hours_between, local_date, local_month

from .builders import LONDON


def t(text: str) -> datetime:
    return parse_timestamp(text)


def test_a_summer_event_at_23_30_utc_belongs_to_the_next_local_day_and_month() -> None:
    assert local_date(t("2024-06-30T23:30Z"), LONDON) == date(2024, 7, 1)
    assert local_month(t("2024-06-30T23:30Z"), LONDON) == "2024-07"
    assert local_date(t("2024-06-30T22:59:59Z"), LONDON) == date(2024, 6, 30)


def test_a_winter_event_at_23_30_utc_stays_on_its_day() -> None:
    assert local_date(t("2024-01-31T23:30Z"), LONDON) == date(2024, 1, 31)
    assert local_month(t("2024-01-31T23:30Z"), LONDON) == "2024-01"


def test_the_night_clocks_go_forward() -> None:
    # BST starts 2024-03-31 01:00 UTC
    assert local_date(t("2024-03-31T00:30Z"), LONDON) == date(2024, 3, 31)
    assert local_date(t("2024-03-31T23:30Z"), LONDON) == date(2024, 4, 1)
    assert local_month(t("2024-03-31T23:30Z"), LONDON) == "2024-04"


def test_hours_are_elapsed_time_across_clock_changes() -> None:
    # noon to noon UTC across the spring change: 24 elapsed hours
    assert hours_between(t("2024-03-30T12:00Z"), t("2024-03-31T12:00Z")) == 24
    # local noon to local noon across it: 23 elapsed hours, even in the same zone object
    start = datetime(2024, 3, 30, 12, tzinfo=LONDON)
    end = datetime(2024, 3, 31, 12, tzinfo=LONDON)
    assert hours_between(start, end) == 23
    # autumn: 25 hours
    assert (
        hours_between(
            datetime(2024, 10, 26, 12, tzinfo=LONDON), datetime(2024, 10, 27, 12, tzinfo=LONDON)
        )
        == 25
    )
    assert hours_between(t("2024-01-01T00:00Z"), t("2024-01-01T00:00:01.5Z")) == Fraction(15, 36000)


def test_days_count_local_dates() -> None:
    assert days_since(date(2024, 3, 1), t("2024-04-08T22:59Z"), LONDON) == 38
    assert days_since(date(2024, 3, 1), t("2024-04-08T23:00Z"), LONDON) == 39


def test_period_is_from_inclusive_to_exclusive() -> None:
    period = Period(date(2024, 7, 1), date(2024, 8, 1))
    assert date(2024, 7, 1) in period
    assert date(2024, 7, 31) in period
    assert date(2024, 8, 1) not in period
    assert period.holds(t("2024-06-30T23:30Z"), LONDON)
    assert not period.holds(t("2024-07-31T23:30Z"), LONDON)


@pytest.mark.parametrize("end", [date(2024, 7, 1), date(2024, 6, 1)])
def test_from_must_be_before_to(end: date) -> None:
    with pytest.raises(ValueError, match="--from must be before --to"):
        Period(date(2024, 7, 1), end)
