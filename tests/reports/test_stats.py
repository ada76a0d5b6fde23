"""Medians, p90s, ratios and rounding (SPEC §6)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from coord.reports.stats import (
    median,
    median_of,
    p90,
    p90_of,
    percentile,
    ratio,
    round_half_away,
)


def test_median_and_p90_of_no_values_are_none() -> None:
    assert median([]) is None
    assert p90([]) is None
    assert median_of([]) is None
    assert p90_of([]) is None


def test_one_value_is_its_own_median_and_p90() -> None:
    assert median([7]) == 7
    assert p90([7]) == 7


def test_two_values_interpolate() -> None:
    # positions (2-1)*0.5 = 0.5 and (2-1)*0.9 = 0.9
    assert median([10, 0]) == 5
    assert p90([0, 10]) == 9


def test_many_values_interpolate_between_closest_ranks() -> None:
    values = [4, 1, 3, 2, 10]  # ascending 1 2 3 4 10
    assert median(values) == 3  # position 2
    # position 4 * 0.9 = 3.6: 4 + 0.6 * (10 - 4) = 7.6
    assert p90(values) == Fraction(76, 10)
    # ten values 1..10: position 9 * 0.9 = 8.1 -> 9 + 0.1 = 9.1; median 5.5
    assert p90(range(1, 11)) == Fraction(91, 10)
    assert median(range(1, 11)) == Fraction(11, 2)
    assert percentile([1, 2, 3], Fraction(1)) == 3
    assert percentile([1, 2, 3], Fraction(0)) == 1


def test_rounding_is_half_away_from_zero_and_done_once() -> None:
    assert round_half_away(Fraction(1, 8), 2) == Decimal("0.13")  # 0.125
    assert round_half_away(Fraction(-1, 8), 2) == Decimal("-0.13")
    assert round_half_away(Fraction(3, 8), 2) == Decimal("0.38")  # 0.375, not banker's 0.38
    assert round_half_away(Fraction(5, 8), 2) == Decimal("0.63")  # banker's would give 0.62
    assert round_half_away(Fraction(2, 3), 4) == Decimal("0.6667")
    # a median of 0.004 h and 0.0049 h is 0.00445: rounded once to 0.00, not 0.004 -> 0.00
    assert median_of([Fraction(4, 1000), Fraction(49, 10000)]) == Decimal("0.00")
    # exact: 1.005 as a binary float is below 1.005 and would round to 1.0
    assert round_half_away(Fraction(1005, 1000), 2) == Decimal("1.01")


def test_ratio() -> None:
    assert ratio(0, 0) is None
    assert ratio(0, 5) == Decimal("0")
    assert ratio(5, 5) == Decimal("1")
    assert ratio(1, 3) == Decimal("0.3333")
    assert ratio(2, 3) == Decimal("0.6667")
    assert ratio(1, 8) == Decimal("0.125")
    assert ratio(1, 16) == Decimal("0.0625")
    assert ratio(1, 32) == Decimal("0.0313")  # 0.03125 half away from zero


@pytest.mark.parametrize(("values", "expected"), [([1, 2], "1.50"), ([1, 2, 4], "2.00")])
def test_medians_are_rounded_to_two_places(values: list[int], expected: str) -> None:
    assert median_of(values) == Decimal(expected)


def test_order_is_exact_where_floats_collide() -> None:
    from fractions import Fraction

    from coord.reports.stats import percentile

    tiny = Fraction(1, 10**30)
    values = [Fraction(1) + 2 * tiny, Fraction(1) + tiny, Fraction(1), Fraction(3)]
    assert float(values[0]) == float(values[2])  # floats alone cannot order them
    assert percentile(values, Fraction(1, 3)) == Fraction(1) + tiny
    assert percentile(values, Fraction(2, 3)) == Fraction(1) + 2 * tiny


# --- whole numbers (the live reports' microseconds and days) -------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from coord.reports.stats import PERCENTILES, ranked, whole_percentile  # noqa: E402


@given(st.lists(st.integers(-(10**12), 10**12), max_size=60))
def test_percentiles_of_whole_numbers_read_only_their_ranks_and_agree(values: list[int]) -> None:
    """The live reports keep only the ranks a percentile reads; the figure is the same as
    the percentile of every value."""
    kept = ranked(values)
    assert len(kept) == len(values)
    assert len(kept.at_rank) <= 4
    for p in PERCENTILES:
        assert whole_percentile(kept, p) == percentile(values, p)


@given(
    st.fractions(min_value=-(10**6), max_value=10**6, max_denominator=10**10),
    st.integers(0, 6),
)
def test_rounding_in_whole_numbers_is_half_away_from_zero(value: Fraction, places: int) -> None:
    """The rounding rule, checked against its definition with exact fractions."""
    scaled = abs(value) * 10**places
    whole = int(scaled) + (1 if scaled - int(scaled) >= Fraction(1, 2) else 0)
    expected = Decimal(whole if value >= 0 else -whole).scaleb(-places)
    assert round_half_away(value, places) == expected
