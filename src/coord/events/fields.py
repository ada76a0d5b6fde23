"""Field types shared by the event schemas: ids, text, timestamps, dates, integers."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, StrictInt, StrictStr

from coord.events.timestamps import format_timestamp, parse_date, parse_timestamp

ID_MAX = 100
TEXT_MAX = 10_000


def storable(value: str) -> str:
    """Refuse what no database column can hold as text: NUL characters (PostgreSQL) and
    unpaired surrogates (``\\ud800``-``\\udfff`` escapes that are not UTF-8 text)."""
    if value.isascii():  # no surrogate (the usual case, known without encoding)
        if "\x00" in value:
            raise ValueError(
                "contains a NUL character (\\u0000), which cannot be stored; remove it"
            )
        return value
    if "\x00" in value:
        raise ValueError("contains a NUL character (\\u0000), which cannot be stored; remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            "contains an unpaired surrogate escape (\\ud800-\\udfff), which is not text; "
            "fix the escape"
        ) from None
    return value


#: Ids, items and pathway names: non-empty, at most 100 code points.
Id = Annotated[StrictStr, Field(min_length=1, max_length=ID_MAX), AfterValidator(storable)]
Item = Id
Pathway = Id
#: Other text: at most 10,000 code points.
Text = Annotated[StrictStr, Field(max_length=TEXT_MAX), AfterValidator(storable)]


def timestamp(value: object) -> datetime:
    """:func:`~coord.events.timestamps.parse_timestamp`, quicker for a timestamp in the
    form coord writes (``2025-11-01T09:00:00Z``): the same instant, the same errors (any
    other form, and an impossible date, take ``parse_timestamp`` itself)."""
    return timestamp_as_written(value)[0]


def timestamp_as_written(value: object) -> tuple[datetime, str | None]:
    """:func:`timestamp`, and ``value`` itself when it is the very text coord writes for
    that instant (:func:`~coord.events.timestamps.format_timestamp`: a year from 1000, a
    fraction only when it is not zero), else None. An event keeps that text so that it is
    not written again when the event is stored (formatting the two instants was 5 % of
    the instructions importing 15k events).

    Coord's form (``YYYY-MM-DDTHH:MM:SSZ``, or ``.ffffff`` before the ``Z``) is told
    by the places of its separators, not by a regular expression (1.9k instructions
    fewer a call): with them, ``datetime.fromisoformat`` accepts the text only when
    every other character is an ASCII digit, which is what the expression matched
    (tests/events check the two on drawn texts)."""
    if (
        type(value) is str
        and (len(value) == 20 or (len(value) == 27 and value[19] == "."))
        and value[4:17:3] == "--T::"
        and value[-1] == "Z"
    ):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            # a zero fraction is written without (``at.microsecond``: no second look at the text)
            as_written = value[0] != "0" and (len(value) == 20 or at.microsecond != 0)
            return at, value if as_written else None
    return parse_timestamp(value), None


#: An aware instant, stored in UTC, written as ``...Z``.
Timestamp = Annotated[
    datetime,
    BeforeValidator(timestamp),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]
#: A calendar date ``YYYY-MM-DD``.
Day = Annotated[
    date,
    BeforeValidator(parse_date),
    PlainSerializer(lambda d: d.isoformat(), return_type=str, when_used="json"),
]
PositiveInt = Annotated[StrictInt, Field(ge=1)]
NonNegativeInt = Annotated[StrictInt, Field(ge=0)]

# fullmatch, not match with "$": "$" also matches before a final newline, which let an id
# ending in "\n" through, stored with it (and unequal to the same id without it).
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def parse_event_id(value: object) -> str:
    """A UUID in canonical text form, compared case-insensitively: returned in lower case."""
    if not isinstance(value, str) or _UUID.fullmatch(value) is None:
        shown = str(value) if len(str(value)) <= 40 else str(value)[:37] + "..."
        raise ValueError(
            f"{shown!r} is not an event id; use a UUID in canonical form "
            "(8-4-4-4-12 hex digits), or leave event_id out to have one generated"
        )
    return value.lower()


#: An event id: canonical UUID text, lower case.
EventId = Annotated[str, BeforeValidator(parse_event_id)]
