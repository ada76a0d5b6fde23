"""A record built by :func:`coord.events.records.builder` is the record its class builds:
equal, of that class, as immutable, and as usable by ``dataclasses.replace`` and pickle."""

from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError, dataclass, fields, replace

import pytest

from coord.domain.log import Accepted, Reference
from coord.domain.transfer import TransferState
from coord.events import Event, decode_event
from coord.events.records import builder
from coord.interop.jsonl import Line

EVENT = decode_event(
    {
        "event_id": "0b9c6c1e-4a7e-4a59-9f3e-2d1f7c6a1b10",
        "type": "TransferSent",
        "occurred_at": "2025-11-03T10:00:00Z",
        "recorded_at": "2025-11-03T10:00:30Z",
        "actor": {"user": "u1"},
        "data": {"transfer_id": "T1"},
    }
)


def test_an_event_built_is_the_event_its_class_builds() -> None:
    values = (
        EVENT.event_id, EVENT.type, EVENT.schema_version, EVENT.occurred_at,
        EVENT.recorded_at, EVENT.actor, EVENT.data, EVENT.written_data, EVENT.written_times,
    )  # fmt: skip
    built = builder(Event)(*values)
    assert type(built) is Event
    assert built == Event(*values) == EVENT
    assert built.written_times == EVENT.written_times  # not compared by ==
    assert built.own_stream == "transfer:T1"
    with pytest.raises(FrozenInstanceError):
        built.type = "TransferReceived"  # type: ignore[misc]
    assert replace(built, actor=None).actor is None
    assert pickle.loads(pickle.dumps(built)) == built


@pytest.mark.parametrize(
    ("cls", "values"),
    [
        (Reference, ("site:S1", EVENT.occurred_at)),
        (Accepted, (EVENT, "transfer:T1", 2, ())),
        (Line, (7, "{}", 120, None)),
        (TransferState, (EVENT.occurred_at, "P1", None, "imaging", None, None, None)),
    ],
)
def test_the_records_built_on_the_import_path(
    cls: type[object], values: tuple[object, ...]
) -> None:
    built = builder(cls)(*values)
    assert type(built) is cls and built == cls(*values)
    with pytest.raises(FrozenInstanceError):
        setattr(built, fields(cls)[0].name, None)


@dataclass(slots=True)
class Unfrozen:
    name: str


@dataclass(frozen=True)
class WithoutSlots:
    name: str


def test_only_frozen_dataclasses_with_slots_have_a_builder() -> None:
    for cls in (Unfrozen, WithoutSlots, str):
        with pytest.raises(TypeError, match="not a frozen dataclass with slots"):
            builder(cls)
