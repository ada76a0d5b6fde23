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
    writes it (``orjson.dumps``), by a function made once for the record's class
    (:func:`_writer`)."""
    cls = record.__class__
    write = _WRITERS.get(cls)
    if write is None:
        write = _WRITERS[cls] = _writer(cls)
    return write(record)


Writer = Callable[[Any], str]
#: per record class: how its payload's JSON text is written
_WRITERS: dict[type[Any], Writer] = {}


def _writer(cls: type[Any]) -> Writer:
    """How to write a record of ``cls`` as :func:`payload_json`: its fields put in a dict
    by a function made for the class (orjson writes a dict's items about twice as fast as
    it looks up a dataclass's fields one by one), which orjson writes in order, tuples as
    lists, dates as ``YYYY-MM-DD`` and an instant in UTC as :func:`format_timestamp` does
    (``Z``, fractional seconds only when present), handing back only sets (sorted) and
    decimals (their text). A record orjson would write otherwise goes through
    :func:`to_payload` instead, which is exact: one with an instant not in UTC (an
    offset, or none) in a field typed as an instant, or a value other than a plain date
    in one typed as a date, both seen by the made function; one with an instant or date
    before the year 1000, which orjson writes with a leading ``0`` (``"0`` in the text;
    text that only starts so is written through to_payload too). A class with a field
    of another type that may hold an instant has its text searched for one written
    otherwise. Callgrind, 15k events' records: 19.5k instructions a payload, 10.1k of
    them orjson writing the record and 6k the regex search of every text."""
    names = _field_names(cls)
    hints = typing.get_type_hints(cls)
    tests: list[str] = []
    searched = False
    for name in names:
        kind = _kind_of(hints.get(name, Any))
        if kind is datetime:
            tests.append(f"(r.{name} is not None and r.{name}.tzinfo is not UTC)")
        elif kind is date:
            tests.append(f"(r.{name} is not None and r.{name}.__class__ is not date)")
        elif kind is None:
            searched = True
    fields = ", ".join(f"{name!r}: r.{name}" for name in names)
    source = f"def fields(r):\n    return {{{fields}}}\n"
    if tests:
        source += f"def other(r):\n    return {' or '.join(tests)}\n"
    made: dict[str, Any] = {"UTC": UTC, "date": date}
    exec(source, made)  # code of the class's own field names only
    fields_of: Callable[[Any], dict[str, Any]] = made["fields"]
    other: Callable[[Any], bool] = made.get("other", _never)
    dumps, default, option, search = (
        orjson.dumps,
        _by_value,
        orjson.OPT_UTC_Z,
        _OTHER_INSTANT.search,
    )

    def write(record: Any) -> str:
        if not other(record):
            text: str = dumps(fields_of(record), default=default, option=option).decode()
            if '"0' not in text and not (searched and search(text)):
                return text
        return dumps(to_payload(record)).decode()

    return write


def _never(_record: Any) -> bool:
    return False


#: field types orjson writes as to_payload does (of the records' sets, tuples and lists,
#: those of text)
_PLAIN = frozenset({str, int, bool, float, Decimal})


def _kind_of(hint: Any) -> type[Any] | None:
    """What a field of this type may hold that orjson writes otherwise than to_payload:
    an instant (``datetime``), a date that may be an instant (``date``), nothing
    (``str``) or unknown (None)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        kinds = {_kind_of(a) for a in typing.get_args(hint) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    if hint is datetime or hint is date:
        return hint
    if hint in _PLAIN or origin is typing.Literal:
        return str
    if origin in (tuple, frozenset, list) and set(typing.get_args(hint)) <= {str, Ellipsis}:
        return str
    return None


def _by_value(value: object) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a value of a record's payload")


#: an instant orjson writes otherwise than format_timestamp: not followed by ``Z`` (an
#: offset, or none). Text that only looks like one is written through to_payload too,
#: which is exact.
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
