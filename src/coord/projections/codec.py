"""Records (frozen dataclasses of ids, instants, dates, counts and sets) to JSON payloads
and back."""

from __future__ import annotations

import dataclasses
import types
import typing
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


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(inner, value)
    if hint is datetime:
        # written by to_payload in the canonical UTC form; fromisoformat reads it directly
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    if origin is frozenset:
        return frozenset(value)
    if origin is tuple:
        return tuple(value)
    return value


def from_payload(cls: type[R], payload: dict[str, Any]) -> R:
    hints = _hints(cls)
    return cls(**{name: _decode(hints[name], value) for name, value in payload.items()})
