"""The SPEC's timestamp and date formats: strict RFC 3339 in, UTC with ``Z`` out."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

# Matched whole (fullmatch): "$" would also match before a final newline.
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:\d{2})"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

TIMESTAMP_FORMAT_HELP = "YYYY-MM-DDTHH:MM[:SS[.ffffff]] followed by Z or ±hh:mm"


def parse_timestamp(value: object) -> datetime:
    """Parse an RFC 3339 timestamp with an offset; return it as an aware UTC datetime.

    Raises ValueError with a message that says what form is expected.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"timestamp has no UTC offset; write {TIMESTAMP_FORMAT_HELP}")
        return _in_utc(value, value)
    if not isinstance(value, str):
        raise ValueError(f"expected a timestamp string ({TIMESTAMP_FORMAT_HELP})")
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", value):
            raise ValueError(
                f"timestamp {value!r} has no UTC offset; add Z or ±hh:mm ({TIMESTAMP_FORMAT_HELP})"
            )
        raise ValueError(f"{_shorten(value)!r} is not a timestamp ({TIMESTAMP_FORMAT_HELP})")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    text = f"{year}-{month}-{day}T{hour}:{minute}:{second or '00'}"
    if fraction:
        text += "." + fraction.ljust(6, "0")
    text += "+00:00" if offset == "Z" else offset
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid date and time") from None
    return _in_utc(parsed, value)


def _in_utc(at: datetime, written: str | datetime) -> datetime:
    """``at`` in UTC, or a ValueError when that falls outside years 1 to 9999 (e.g.
    ``0001-01-01T00:30:00+02:00``), which Python cannot represent. ``written``: the text
    given, or the instant itself (formatted only for that error, not on every call)."""
    try:
        return at.astimezone(UTC)
    except OverflowError:
        shown = written.isoformat() if isinstance(written, datetime) else written
        raise ValueError(
            f"{shown!r} is outside the years 0001 to 9999 once written in UTC"
        ) from None


def parse_date(value: object) -> date:
    """Parse a calendar date ``YYYY-MM-DD``."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _DATE.fullmatch(value) is None:
        raise ValueError(f"{_shorten(value)!r} is not a date (expected YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a valid date") from None


def format_timestamp(value: datetime) -> str:
    """Format an instant as UTC with ``Z``; fractional seconds only when present."""
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}"
    return text + "Z"


def _shorten(value: object) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."
