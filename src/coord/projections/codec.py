"""Records (frozen dataclasses of ids, instants, dates, counts and sets, and the gaps
query's rows) to JSON payloads and back."""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel

from coord.events import format_timestamp

R = TypeVar("R")


def to_payload(record: object) -> dict[str, Any]:
    """A record's fields as JSON values: instants as UTC text with ``Z``
    (:func:`format_timestamp`), dates ``YYYY-MM-DD``, sets as sorted lists, tuples as
    lists, decimals as their exact text (a model, such as a gap row, by its fields, so
    that validating the payload gives the model again); anything else as it is."""
    cls = type(record)
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = _field_names(cls)
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(record, name)
        if value is None or type(value) in _AS_THEY_ARE:
            out[name] = value
        elif isinstance(value, datetime):
            # format_timestamp, faster for an instant already in UTC: isoformat writes the
            # same digits (fractional seconds only when present), then +00:00
            if value.tzinfo is UTC and value.year >= 1000:
                out[name] = value.isoformat()[:-6] + "Z"
            else:
                out[name] = format_timestamp(value)
        elif isinstance(value, date):
            out[name] = value.isoformat()
        elif isinstance(value, frozenset):
            out[name] = sorted(value)
        elif isinstance(value, tuple):
            out[name] = list(value)
        elif isinstance(value, Decimal):
            out[name] = str(value)
        else:
            out[name] = value
    return out


def payload_json(record: object) -> str:
    """The JSON text of :func:`to_payload` of a record, as the store's JSON serializer
    writes it (``orjson.dumps``), without making the payload's dict: orjson writes the
    record's fields in order, tuples as lists, dates as ``YYYY-MM-DD`` and an instant in
    UTC as :func:`format_timestamp` does (``Z``, fractional seconds only when present),
    handing back only sets (sorted), decimals (their text) and a model (its fields). An instant it would write otherwise (not in UTC, or
    before the year 1000) is seen in the text, and the record written through
    :func:`to_payload` instead. For the records of :mod:`coord.reports.records`, whose
    tuples and sets hold only text."""
    text = orjson.dumps(record, default=_by_value, option=orjson.OPT_UTC_Z).decode()
    if '"0' in text or _OTHER_INSTANT.search(text) is not None:
        return orjson.dumps(to_payload(record)).decode()
    return text


def _by_value(value: object) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, BaseModel):
        return {name: getattr(value, name) for name in _field_names(type(value))}
    raise TypeError(f"{type(value).__name__} is not a value of a record's payload")


#: an instant orjson writes otherwise than format_timestamp: not followed by ``Z`` (an
#: offset, or none); one before the year 1000 starts a string with ``0`` (``"0``). Text
#: that only looks like either is written through to_payload too, which is exact.
_OTHER_INSTANT = re.compile(r"T\d\d:\d\d:\d\d(?:\.\d+)?[^Z.\d]")


def _field_names(cls: type[Any]) -> tuple[str, ...]:
    if issubclass(cls, BaseModel):
        return tuple(cls.model_fields)
    return tuple(f.name for f in dataclasses.fields(cls))


#: the field names of each record class, in order
_NAMES: dict[type[Any], tuple[str, ...]] = {}
#: values a payload holds unchanged (exactly these types: a subclass may be a date)
_AS_THEY_ARE = frozenset({str, int, bool, float})


def _converter(hint: Any) -> Callable[[Any], Any] | None:
    """How to turn a JSON value back into a field of this type (None: as it is)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        convert = _converter(inner)
        return None if convert is None else (lambda v: None if v is None else convert(v))
    if hint is datetime:
        # written by to_payload in the canonical UTC form; fromisoformat reads it directly
        return datetime.fromisoformat
    if hint is date:
        return date.fromisoformat
    if origin is frozenset:
        return frozenset
    if origin is tuple:
        return tuple
    return None


_CONVERTERS: dict[type[Any], dict[str, Callable[[Any], Any] | None]] = {}


def from_payload(cls: type[R], payload: dict[str, Any]) -> R:
    converters = _CONVERTERS.get(cls)
    if converters is None:
        hints = typing.get_type_hints(cls)
        converters = _CONVERTERS[cls] = {name: _converter(h) for name, h in hints.items()}
    values = {}
    for name, value in payload.items():
        convert = converters[name]
        values[name] = value if convert is None else convert(value)
    return cls(**values)
