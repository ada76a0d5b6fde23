"""Calendar dates in the network's time zone (SPEC §2, §6): report periods, local dates
and months of instants, elapsed hours and waiting-time day counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Period:
    """Local dates ``from_date`` (inclusive) to ``to_date`` (exclusive)."""

    from_date: date
    to_date: date

    def __post_init__(self) -> None:
        if not self.from_date < self.to_date:
            raise ValueError(
                f"the period from {self.from_date} to {self.to_date} is empty; "
                "--from must be before --to (--to is exclusive)"
            )

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.from_date <= day < self.to_date

    def holds(self, instant: datetime, time_zone: ZoneInfo) -> bool:
        """Whether the local date of ``instant`` falls in the period."""
        return local_date(instant, time_zone) in self


def local_date(instant: datetime, time_zone: ZoneInfo) -> date:
    """The calendar date of an (aware) instant in the network's time zone."""
    return instant.astimezone(time_zone).date()


def local_month(instant: datetime, time_zone: ZoneInfo) -> str:
    """The local month of an instant, ``YYYY-MM``."""
    day = local_date(instant, time_zone)
    return f"{day.year:04d}-{day.month:02d}"


MICROSECONDS_PER_HOUR = 3_600_000_000


def hours_of(microseconds: Fraction | None) -> Fraction | None:
    """A duration in microseconds as exact hours (None stays None)."""
    return None if microseconds is None else microseconds / MICROSECONDS_PER_HOUR


def microseconds_between(start: datetime, end: datetime) -> int:
    """Elapsed microseconds from ``start`` to ``end`` (nights, weekends and clock changes
    included: both are taken in UTC before subtracting, since Python subtracts two
    datetimes of the same zone by wall clock)."""
    delta = end.astimezone(UTC) - start.astimezone(UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def hours_between(start: datetime, end: datetime) -> Fraction:
    """Elapsed hours from ``start`` to ``end`` (exact)."""
    return Fraction(microseconds_between(start, end), MICROSECONDS_PER_HOUR)


def days_since(clock_start: date, instant: datetime, time_zone: ZoneInfo) -> int:
    """Whole days from ``clock_start`` to the local date of ``instant``."""
    return (local_date(instant, time_zone) - clock_start).days
