"""A record made by :mod:`coord.events.records` (built by position, made as its class
is called, a copy with fields replaced, or a draft once frozen) is the record its class
makes: of that class, equal, hashing the same, as immutable, and as usable by
``dataclasses.replace`` and pickle; a draft is frozen when handed out, and a record
already handed out is never changed."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import FrozenInstanceError, dataclass, fields, replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from coord.domain.log import Accepted, Reference
from coord.domain.transfer import TransferState
from coord.events import Event, decode_event
from coord.events.records import builder, drafter, freezer, made_as, redrafter, replacer
from coord.interop.jsonl import Line
from coord.reports import records
from coord.reports.fold import ListedCase, Step

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


AT = datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
#: the records the fold and the facts make, each with every field given
EXAMPLES: list[tuple[type[Any], tuple[Any, ...]]] = [
    (Step, ("C1", "M1", "deferred", AT, "missing_information")),
    (ListedCase, ("P1", "prostate", "S2")),
    (records.Arrival, ("C1", "imaging", AT, "transfer", 7)),
    (records.Case, ("C1", "P1", "prostate", "S2", AT, ("imaging",), 2)),
    (records.Listing, ("C1", "M1", "relisted", AT, "prostate", "S2", ("imaging",), True)),
    (records.Discussion, ("C1", "M1", "P1", "prostate", "S2", AT, ("imaging",), ())),
    (records.Deferral, ("C1", "M1", "P1", "prostate", "S2", AT, "no_time", ("imaging",), ())),
    (records.Transfer, ("T1", "P1", "imaging", "S1", "S2", "portal", None, AT)),
    (records.Handover, ("H1", "P1", "S1", "S2", AT, None, AT)),
    (records.Referral, ("R1", "P1", "prostate", "S1", "S2", "urgent", date(2024, 3, 1), AT)),
    (records.Meeting, ("M1", "prostate", "S1", AT, AT, 1, frozenset({"S1", "S2"}))),
]


def assert_made_as_its_class_makes(made: Any, expected: Any) -> None:
    cls = type(expected)
    assert type(made) is cls
    assert made == expected and hash(made) == hash(expected) and repr(made) == repr(expected)
    assert dataclasses.astuple(made) == dataclasses.astuple(expected)  # defaults included
    with pytest.raises(FrozenInstanceError):
        made.__setattr__(fields(cls)[0].name, "changed")
    assert pickle.loads(pickle.dumps(made)) == expected
    assert replace(made) == expected


@pytest.mark.parametrize(("cls", "values"), EXAMPLES, ids=lambda x: getattr(x, "__name__", ""))
def test_a_record_made_as_its_class_is_the_record_its_class_makes(
    cls: type[Any], values: tuple[Any, ...]
) -> None:
    expected = cls(*values)
    assert_made_as_its_class_makes(made_as(cls)(*values), expected)
    by_name = {f.name: getattr(expected, f.name) for f in fields(cls)}
    assert_made_as_its_class_makes(made_as(cls)(**by_name), expected)


@pytest.mark.parametrize(("cls", "values"), EXAMPLES, ids=lambda x: getattr(x, "__name__", ""))
def test_a_draft_is_a_record_of_its_class_once_frozen(
    cls: type[Any], values: tuple[Any, ...]
) -> None:
    draft = drafter(cls)(*values)
    assert type(draft) is not cls
    first = fields(cls)[0].name
    setattr(draft, first, "changed")  # not frozen yet: changed in place
    freezer(cls)([draft])
    assert_made_as_its_class_makes(draft, replace(cls(*values), **{first: "changed"}))


def test_the_defaults_of_the_class_are_applied() -> None:
    made = made_as(records.Transfer)("T1", "P1", "imaging", "S1", "S2", "portal", None, AT)
    assert made.sent_at is None and made.chases == 0
    draft = drafter(records.Transfer)("T1", "P1", "imaging", "S1", "S2", "portal", None, AT)
    assert draft.chases == 0
    with pytest.raises(TypeError):
        made_as(records.Transfer)("T1")  # type: ignore[call-arg]


def test_a_record_copied_as_a_draft_is_never_changed() -> None:
    (cls, values), record = EXAMPLES[7], records.Transfer(*EXAMPLES[7][1])
    copy = redrafter(cls)(record)
    copy.chases = 3
    freezer(cls)([copy])
    assert record == cls(*values) and record.chases == 0
    assert_made_as_its_class_makes(copy, replace(record, chases=3))


def test_only_drafts_are_frozen() -> None:
    record = records.Transfer(*EXAMPLES[7][1])
    freeze = freezer(records.Transfer)
    with pytest.raises(TypeError, match="not a draft of Transfer"):
        freeze([record])
    draft = drafter(records.Handover)("H1", "P1", "S1", "S2", AT)
    with pytest.raises(TypeError, match="not a draft of Transfer"):
        freeze([draft])


@pytest.mark.parametrize(("cls", "values"), EXAMPLES, ids=lambda x: getattr(x, "__name__", ""))
def test_a_record_with_fields_replaced_is_the_record_replace_makes(
    cls: type[Any], values: tuple[Any, ...]
) -> None:
    record = cls(*values)
    names = [f.name for f in fields(cls)]
    changes = {names[-1]: values[0], names[0]: values[-1]}  # two fields, out of order
    replaced = replacer(cls, *changes)(record, *changes.values())
    assert_made_as_its_class_makes(replaced, replace(record, **changes))
    assert replacer(cls, *changes)(record, **changes) == replaced  # by keyword too
    assert record == cls(*values)  # the record itself unchanged


def test_a_replacer_names_fields_of_its_class_once_each() -> None:
    for names in (("sent_at", "sent_at"), ("sent",)):
        with pytest.raises(TypeError, match="has no fields"):
            replacer(TransferState, *names)


@dataclass(slots=True)
class Unfrozen:
    name: str


@dataclass(frozen=True)
class WithoutSlots:
    name: str


@dataclass(frozen=True, slots=True)
class Checked:
    name: str

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a name is required")


@dataclass(frozen=True, slots=True)
class WithAFactory:
    names: tuple[str, ...] = dataclasses.field(default_factory=tuple)


@dataclass(frozen=True, slots=True, kw_only=True)
class ByKeywordOnly:
    name: str


MAKERS = [builder, made_as, drafter, redrafter, freezer, lambda cls: replacer(cls, "name")]


@pytest.mark.parametrize("maker", MAKERS)
def test_only_frozen_dataclasses_with_slots_have_a_maker(maker: Any) -> None:
    for cls in (Unfrozen, WithoutSlots, str):
        with pytest.raises(TypeError, match="not a frozen dataclass with slots"):
            maker(cls)


@pytest.mark.parametrize("maker", MAKERS)
def test_a_class_whose_init_does_more_than_set_each_field_has_no_maker(maker: Any) -> None:
    """Its records would not be what it makes (the check not run, a default not made)."""
    for cls in (Checked, WithAFactory, ByKeywordOnly):
        with pytest.raises(TypeError, match="does more than set each field"):
            maker(cls)


def test_a_maker_is_made_once_per_class() -> None:
    assert made_as(Step) is made_as(Step) and builder(Step) is builder(Step)
    assert replacer(Step, "kind") is replacer(Step, "kind")
    assert drafter(Step) is not made_as(Step)
