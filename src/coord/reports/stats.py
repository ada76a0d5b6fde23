"""Medians, p90s, ratios and the one rounding rule of SPEC §6.

Values are computed exactly (as :class:`~fractions.Fraction`) and rounded once, at the
end, half away from zero, to a :class:`~decimal.Decimal` of a fixed number of places:
ratios to 4, hours and days to 2. The report models turn those into JSON numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from math import floor

#: decimal places of a ratio in [0, 1]
RATIO_PLACES = 4
#: decimal places of hours and days (medians, p90s, hours late)
DURATION_PLACES = 2

Exact = Fraction | int
MEDIAN = Fraction(1, 2)
P90 = Fraction(9, 10)
#: the percentiles the reports show
PERCENTILES = (MEDIAN, P90)


def round_half_away(value: Exact, places: int) -> Decimal:
    """``value`` rounded to ``places`` decimal places, halves away from zero (exactly)."""
    exact = Fraction(value)
    return _rounded_quotient(exact.numerator, exact.denominator, places)


def _rounded_quotient(numerator: int, denominator: int, places: int) -> Decimal:
    """``numerator / denominator`` (denominator > 0, the fraction in lowest terms or
    not) rounded to ``places`` decimal places, halves away from zero."""
    # floor(|n/d| * 10^places + 1/2), in whole numbers
    scaled = abs(numerator) * 10**places
    whole = (2 * scaled + denominator) // (2 * denominator)
    return Decimal(-whole if numerator < 0 else whole).scaleb(-places)


def percentile(values: Iterable[Exact], p: Fraction) -> Fraction | None:
    """Linear interpolation between closest ranks: position (n−1)·p of the ascending
    values; None when there are no values."""
    return _interpolate(_ascending([Fraction(v) for v in values]), p)


@dataclass(frozen=True, slots=True)
class Ranked:
    """Whole numbers (microseconds, days) as the percentiles read them: how many there
    are, and the values at the ranks (0-based, ascending) that :data:`PERCENTILES` read.
    A database can answer this without sending every value."""

    count: int = 0
    at_rank: Mapping[int, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, rank: int) -> int:
        return self.at_rank[rank]


def percentile_ranks(count: int, p: Fraction) -> tuple[int, ...]:
    """The ranks :func:`percentile` reads of ``count`` ascending values."""
    if count == 0:
        return ()
    low = floor((count - 1) * p)
    return (low, low + 1) if low + 1 < count else (low,)


def ranked(values: Iterable[int]) -> Ranked:
    """The :class:`Ranked` of some whole numbers."""
    ordered = sorted(values)
    wanted = {r for p in PERCENTILES for r in percentile_ranks(len(ordered), p)}
    return Ranked(len(ordered), {r: ordered[r] for r in wanted})


def whole_percentile(values: Ranked, p: Fraction) -> Fraction | None:
    """:func:`percentile` of whole numbers (microseconds, days): the same definition,
    without a :class:`~fractions.Fraction` per value (``percentile(v / c) ==
    whole_percentile(v) / c``, since the interpolation is linear)."""
    return _interpolate(values, p)


def _interpolate(ordered: Sequence[Exact] | Ranked, p: Fraction) -> Fraction | None:
    """The value at position (n−1)·p of ascending ``ordered`` values, interpolated."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * p
    low = floor(position)  # percentile_ranks gives the ranks read here
    if low + 1 >= len(ordered):
        return Fraction(ordered[low])
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


def whole_duration(numerator: int, denominator: int) -> Decimal:
    """:func:`duration` of ``numerator / denominator`` (e.g. microseconds per hour),
    without making a :class:`~fractions.Fraction` of it (a gaps query rounds thousands)."""
    return _rounded_quotient(numerator, denominator, DURATION_PLACES)


def median_of(values: Iterable[Exact]) -> Decimal | None:
    """The rounded median of hours or days (None for no values)."""
    return duration(median(values))


def p90_of(values: Iterable[Exact]) -> Decimal | None:
    """The rounded p90 of hours or days (None for no values)."""
    return duration(p90(values))
