"""Medians, p90s, ratios and the one rounding rule of SPEC §6.

Values are computed exactly (as :class:`~fractions.Fraction`) and rounded once, at the
end, half away from zero, to a :class:`~decimal.Decimal` of a fixed number of places:
ratios to 4, hours and days to 2. The report models turn those into JSON numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from math import floor

#: decimal places of a ratio in [0, 1]
RATIO_PLACES = 4
#: decimal places of hours and days (medians, p90s, hours late)
DURATION_PLACES = 2

Exact = Fraction | int


def round_half_away(value: Exact, places: int) -> Decimal:
    """``value`` rounded to ``places`` decimal places, halves away from zero (exactly)."""
    scaled = abs(Fraction(value)) * 10**places
    whole = floor(scaled + Fraction(1, 2))
    sign = -1 if value < 0 else 1
    return Decimal(sign * whole).scaleb(-places)


def percentile(values: Iterable[Exact], p: Fraction) -> Fraction | None:
    """Linear interpolation between closest ranks: position (n−1)·p of the ascending
    values; None when there are no values."""
    ordered = _ascending([Fraction(v) for v in values])
    if not ordered:
        return None
    position = (len(ordered) - 1) * p
    low = floor(position)
    if low + 1 >= len(ordered):
        return ordered[low]
    return ordered[low] + (position - low) * (ordered[low + 1] - ordered[low])


def _ascending(values: list[Fraction]) -> list[Fraction]:
    """Exact ascending order, fast: a correctly rounded float is monotone in the exact
    value, so sorting by float can only misorder values whose floats are equal; those
    runs are then sorted exactly."""
    ordered = sorted(values, key=float)
    start = 0
    while start < len(ordered):
        end = start + 1
        while end < len(ordered) and float(ordered[end]) == float(ordered[start]):
            end += 1
        if end - start > 1:
            ordered[start:end] = sorted(ordered[start:end])
        start = end
    return ordered


def median(values: Iterable[Exact]) -> Fraction | None:
    return percentile(values, Fraction(1, 2))


def p90(values: Iterable[Exact]) -> Fraction | None:
    return percentile(values, Fraction(9, 10))


def ratio(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator`` rounded to 4 places; None when the denominator is 0."""
    if denominator == 0:
        return None
    return round_half_away(Fraction(numerator, denominator), RATIO_PLACES)


def duration(value: Exact | None) -> Decimal | None:
    """Hours or days rounded to 2 places (None stays None)."""
    return None if value is None else round_half_away(value, DURATION_PLACES)


def median_of(values: Iterable[Exact]) -> Decimal | None:
    """The rounded median of hours or days (None for no values)."""
    return duration(median(values))


def p90_of(values: Iterable[Exact]) -> Decimal | None:
    """The rounded p90 of hours or days (None for no values)."""
    return duration(p90(values))
