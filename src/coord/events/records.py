"""Building frozen records quickly on the paths every imported event takes.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` (its
own ``__setattr__`` refuses): about 1,300 instructions a field, so 16k to build an
:class:`~coord.events.Event` of nine fields against 4.6k for the same class unfrozen
(callgrind). Building the event, its decision, its references and its stream's next
state that way was about a tenth of importing an event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

T = TypeVar("T")


def builder(cls: type[T]) -> Callable[..., T]:
    """A function building an instance of the frozen, slotted dataclass ``cls`` from
    every field by position (defaults not applied), equal to ``cls(*fields)`` and as
    immutable. It fills an unfrozen twin class with the same slots and then gives the
    instance ``cls`` as its class (which Python allows between classes of one layout):
    5.8k instructions for the nine fields of an event."""
    names = tuple(f.name for f in fields(cls)) if is_dataclass(cls) else ()
    params = getattr(cls, "__dataclass_params__", None)
    if not names or params is None or not params.frozen or cls.__dict__.get("__slots__") != names:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass with slots and fields")
    twin = type(f"{cls.__name__}Builder", (), {"__slots__": names})
    lines = [f"def build_{cls.__name__}({', '.join(names)}):", "    record = new(twin)"]
    lines += [f"    record.{name} = {name}" for name in names]
    lines += ["    record.__class__ = cls", "    return record"]
    namespace: dict[str, Any] = {"new": object.__new__, "twin": twin, "cls": cls}
    exec("\n".join(lines), namespace)  # as dataclasses makes __init__: one line a field
    built: Callable[..., T] = namespace[f"build_{cls.__name__}"]
    return built
