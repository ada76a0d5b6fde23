"""Making frozen records quickly on the paths every imported or folded event takes.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` (its
own ``__setattr__`` refuses): about 1,300 instructions a field, so 16k to build an
:class:`~coord.events.Event` of nine fields against 4.6k for the same class unfrozen
(callgrind). Building the event, its decision, its references and its stream's next
state that way was about a tenth of importing an event, and a fifth of folding a year's
log and deriving its facts (272M of 1.49G instructions at 102k events).

So every maker here fills an instance of an unfrozen twin of the class, with the same
slots, and then gives it the class itself: CPython allows ``__class__`` assignment
between classes of one memory layout, and the record is then equal to, hashes as, is as
frozen as and pickles as one the class made. Each maker is a function generated once per
class (as dataclasses makes ``__init__``: one line a field) and kept (``functools.cache``):

- :func:`builder`: from every field by position, defaults not applied;
- :func:`made_as`: called as the class is (by position or keyword, with its defaults);
- :func:`replacer`: a copy of a record with the named fields replaced, as
  ``dataclasses.replace`` does but reading the other fields off the record itself;
- :func:`drafter` (or :func:`redrafter`, from a record) and :func:`freezer`: a draft
  changed in place while no one else holds it, made a record of the class when handed
  out.

Each refuses a class that is not a frozen dataclass with slots whose ``__init__`` takes
every field, plainly (no ``__post_init__``, no field without ``init``, keyword-only or
with a default factory), as the record would not then be what the class makes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import MISSING, fields, is_dataclass
from typing import Any, ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")


def builder(cls: type[T]) -> Callable[..., T]:
    """A function building an instance of the frozen, slotted dataclass ``cls`` from
    every field by position (defaults not applied), equal to ``cls(*fields)`` and as
    immutable: 5.8k instructions for the nine fields of an event."""
    made: Callable[..., T] = _maker(_record_class(cls), "build", defaults=False, frozen=True)
    return made


def made_as(cls: Callable[P, T]) -> Callable[P, T]:
    """A maker of ``cls``'s records, called as ``cls`` is (by position or keyword, with
    its defaults), that makes them without ``object.__setattr__`` for each field."""
    made: Callable[P, T] = _maker(_record_class(cls), "make", defaults=True, frozen=True)
    return made


def drafter(cls: Callable[P, T]) -> Callable[P, T]:
    """A maker of drafts of ``cls``'s records, called as ``cls`` is: instances of its
    unfrozen twin, whose fields may be set until :func:`freezer` makes them records of
    ``cls`` (their type says ``cls``, so that they are not handed out as drafts)."""
    made: Callable[P, T] = _maker(_record_class(cls), "draft", defaults=True, frozen=False)
    return made


def freezer(cls: type[T]) -> Callable[[Iterable[T]], None]:
    """A function making drafts (of :func:`drafter` or :func:`redrafter`) records of
    ``cls``, in place: from then on they are as frozen as those ``cls`` makes. A record
    already frozen, or of another class, is refused (TypeError), so that only drafts are
    ever changed this way."""
    twin = _twin(_record_class(cls))

    def freeze(drafts: Iterable[T]) -> None:
        for draft in drafts:
            if draft.__class__ is not twin:
                raise TypeError(f"{draft!r} is not a draft of {cls.__name__}")
            draft.__class__ = cls

    return freeze


def replacer(cls: type[T], *names: str) -> Callable[..., T]:
    """A function ``(record, *values)`` making a copy of a record of ``cls`` with the
    fields ``names`` given (in that order, or by keyword), every other field read off
    the record: ``dataclasses.replace(record, **values)`` at the cost of
    :func:`builder`'s call with every field listed (the old fields need no reading into
    arguments first), so that a stream's next state is one readable line."""
    made: Callable[..., T] = _replacer(_record_class(cls), names, frozen=True)
    return made


def redrafter(cls: type[T]) -> Callable[[T], T]:
    """A function making a draft (as :func:`drafter`'s) of a copy of a record of ``cls``,
    to change and :func:`freezer`: a record changed in a few fields named only at run
    time, the record itself never changed."""
    made: Callable[[T], T] = _replacer(_record_class(cls), (), frozen=False)
    return made


@functools.cache
def _twin(cls: type) -> type:
    """The unfrozen class of ``cls``'s slots, once checked that ``cls`` can be made so."""
    names = tuple(f.name for f in fields(cls)) if is_dataclass(cls) else ()
    params = getattr(cls, "__dataclass_params__", None)
    if not names or params is None or not params.frozen or cls.__dict__.get("__slots__") != names:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass with slots and fields")
    plain = all(f.init and not f.kw_only and f.default_factory is MISSING for f in fields(cls))
    if not plain or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}'s __init__ does more than set each field")
    return type(f"{cls.__name__}Draft", (), {"__slots__": names})


def _record_class(maker: Callable[..., Any]) -> type:
    """``maker`` as a class (of a type that ``functools.cache`` takes as a key)."""
    if not isinstance(maker, type):
        raise TypeError(f"{maker!r} is not a class")
    return maker


@functools.cache
def _maker(cls: type, verb: str, *, defaults: bool, frozen: bool) -> Callable[..., Any]:
    namespace: dict[str, Any] = {"new": object.__new__, "twin": _twin(cls), "cls": cls}
    params, lines = [], []
    for field in fields(cls):
        name = field.name
        if defaults and field.default is not MISSING:
            namespace[f"default_{name}"] = field.default
            params.append(f"{name}=default_{name}")
        else:
            params.append(name)
        lines.append(f"    record.{name} = {name}")
    return _made(f"{verb}_{cls.__name__}", ", ".join(params), lines, namespace, frozen)


@functools.cache
def _replacer(cls: type, names: tuple[str, ...], *, frozen: bool) -> Callable[..., Any]:
    namespace: dict[str, Any] = {"new": object.__new__, "twin": _twin(cls), "cls": cls}
    slots = [field.name for field in fields(cls)]
    if not set(names) <= set(slots) or len(set(names)) != len(names):
        raise TypeError(f"{cls.__name__} has no fields {names} to replace (once each)")
    lines = [f"    record.{n} = {n if n in names else 'old.' + n}" for n in slots]
    name = "_".join(("replace" if frozen else "redraft", cls.__name__, *names))
    return _made(name, ", ".join(("old", *names)), lines, namespace, frozen)


def _made(
    name: str, params: str, lines: list[str], namespace: dict[str, Any], frozen: bool
) -> Callable[..., Any]:
    """The function ``name(params)`` filling a new instance of ``twin`` by ``lines`` and
    then, when ``frozen``, giving it the class ``cls``."""
    source = [f"def {name}({params}):", "    record = new(twin)", *lines]
    if frozen:
        source.append("    record.__class__ = cls")
    source.append("    return record")
    exec("\n".join(source), namespace)  # code of the class's own field names only
    made: Callable[..., Any] = namespace[name]
    return made
