"""Records (frozen dataclasses of ids, instants, dates, counts and sets) to JSON payloads
and back."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from coord.events import format_timestamp

R = TypeVar("R")


def to_payload(record: object) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in dataclasses.fields(record):  # type: ignore[arg-type]
        value = getattr(record, field.name)
        if isinstance(value, datetime):
            value = format_timestamp(value)
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, frozenset):
            value = sorted(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[field.name] = value
    return out


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
