"""The event envelope (SPEC §2): decoding a raw JSON object into an :class:`Event`,
and encoding an event back into its canonical export form."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import BaseMetadata
from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic.functional_validators import AfterValidator
from pydantic.types import Strict

from coord.events.fields import (
    EventId,
    Timestamp,
    parse_event_id,
    storable,
    timestamp_as_written,
)
from coord.events.records import builder
from coord.events.registry import DEFAULT_REGISTRY, Registry
from coord.events.timestamps import format_timestamp
from coord.events.types import EventData

ENVELOPE_FIELDS = (
    "event_id",
    "type",
    "schema_version",
    "occurred_at",
    "recorded_at",
    "actor",
    "data",
)


class InvalidEvent(ValueError):
    """An event that does not match the envelope or its type's schema."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Actor(BaseModel):
    """Who recorded an event; not checked against registrations."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    user: StrictStr | None = None
    role: StrictStr | None = None
    site: StrictStr | None = None

    def as_json(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.user:
            out["user"] = self.user
        if self.role:
            out["role"] = self.role
        if self.site:
            out["site"] = self.site
        return out


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    event_id: EventId | None = None
    type: StrictStr
    schema_version: StrictInt = 1
    occurred_at: Timestamp
    recorded_at: Timestamp | None = None
    actor: Actor | None = None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Event:
    """A validated event.

    ``data`` is always the latest schema version of the type (upcast on read);
    ``schema_version`` and ``written_data`` are the event as it was written, which
    is what the store keeps and exports. ``written_times``: the text of ``occurred_at``
    and of ``recorded_at`` as given, when it is the text :func:`timestamp_text` writes
    for them (None: to be written); not compared.
    """

    event_id: str
    type: str
    schema_version: int
    occurred_at: datetime
    recorded_at: datetime | None
    actor: Actor | None
    data: EventData
    written_data: Mapping[str, Any]
    written_times: tuple[str | None, str | None] = field(
        default=(None, None), compare=False, repr=False
    )

    @property
    def subject(self) -> str:
        """The id of the thing the event is about (a retraction: its target event id)."""
        if not self.data.SUBJECT:
            return str(getattr(self.data, "event_id", ""))
        return str(getattr(self.data, self.data.SUBJECT))

    @property
    def own_stream(self) -> str | None:
        """The stream named by the event itself; None for a retraction (target's stream)."""
        if not self.data.STREAM:
            return None
        return f"{self.data.STREAM}:{getattr(self.data, self.data.SUBJECT)}"

    def recorded(self, at: datetime) -> Event:
        """The event with ``recorded_at`` set to ``at`` (itself when it already is)."""
        if at is self.recorded_at:
            return self
        return _event(
            self.event_id,
            self.type,
            self.schema_version,
            self.occurred_at,
            at,
            self.actor,
            self.data,
            self.written_data,
            (self.written_times[0], None),
        )


#: builds an Event from its nine fields by position (:func:`~coord.events.records.builder`:
#: 6.8k instructions against 16k for ``Event(...)``), once for every line imported
_event = builder(Event)


def _drop_nulls(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if v is not None}


#: the envelope as validated: event_id (None: to be generated), type, schema_version,
#: occurred_at, recorded_at, actor (None when it names no one), data (without nulls) and
#: the text of the two instants when it is the one coord writes (:data:`Event.written_times`)
_Fields = tuple[
    str | None,
    str,
    int,
    datetime,
    datetime | None,
    Actor | None,
    Mapping[str, Any],
    tuple[str | None, str | None],
]
_ENVELOPE_KEYS = frozenset(ENVELOPE_FIELDS)
_ACTOR_KEYS = frozenset(("user", "role", "site"))
#: The actors seen (a log has few): (user, role, site) -> the Actor, None if it is empty.
_ACTORS: dict[tuple[str | None, str | None, str | None], Actor | None] = {}
_MAX_ACTORS = 10_000


def decode_event(raw: object, registry: Registry = DEFAULT_REGISTRY) -> Event:
    """Validate a raw JSON object against the envelope and its type's schema.

    Nulls are treated as absent; old schema versions are upcast before validation of
    the latest model. Raises :class:`InvalidEvent` with a reason for a coordinator.
    """
    fields = _plain_envelope(raw)
    if fields is None:
        fields = _validated_envelope(raw)
    event_id, type_name, version, occurred_at, recorded_at, actor, raw_data, times = fields
    if type_name not in registry:
        raise InvalidEvent(f"unknown event type {type_name!r}; see the SPEC §4 for the types")
    latest = registry.latest_version(type_name)
    if version > latest:
        raise InvalidEvent(
            f"schema_version {version} of {type_name} was written by a newer coord "
            f"(this release knows up to {latest}); upgrade coord to import it"
        )
    if version < 1 or (version != latest and not registry.has_version(type_name, version)):
        raise InvalidEvent(f"schema_version {version} of {type_name} does not exist")
    written = _validate_data(registry.model(type_name, version), raw_data, "data")
    if version == latest:
        data = written
    else:
        upcast = registry.upcast(type_name, version, dict(raw_data))
        data = _validate_data(registry.model(type_name), _drop_nulls(upcast), "data (upcast)")
    return _event(
        event_id or str(uuid.uuid4()),
        type_name,
        version,
        occurred_at,
        recorded_at,
        actor,
        data,
        _written_data(written, raw_data),
        times,
    )


#: (model, its data's keys in the order given) -> whether the data given is its dump
_AS_GIVEN: dict[tuple[type[EventData], tuple[str, ...]], bool] = {}
_MAX_AS_GIVEN = 10_000


def _written_data(valid: EventData, given: Mapping[str, Any]) -> Mapping[str, Any]:
    """The data as the store keeps and exports it: ``valid.model_dump(mode="json",
    exclude_none=True)``, ``valid`` being ``given`` validated (nulls dropped). When each
    field of the model is dumped as it was given (:func:`_dumped_as_given`) and the keys
    come in the model's field order, the dump equals ``given``, key order included, and
    ``given`` is kept instead (92 % of the lines of the 102k log): pydantic's dump was 9 %
    of decoding a line; importing 15k events, 2 % fewer instructions (callgrind)."""
    model = type(valid)
    if type(given) is dict:
        key = (model, tuple(given))
        as_given = _AS_GIVEN.get(key)
        if as_given is None:
            if len(_AS_GIVEN) >= _MAX_AS_GIVEN:
                _AS_GIVEN.clear()
            as_given = _AS_GIVEN[key] = _in_field_order(model, key[1]) and _dumped_as_given(model)
        if as_given:
            return given
    return valid.model_dump(mode="json", exclude_none=True)


def _in_field_order(model: type[EventData], keys: Sequence[str]) -> bool:
    order = {name: index for index, name in enumerate(model.model_fields)}
    indexes = [order.get(key, -1) for key in keys]
    return -1 not in indexes and indexes == sorted(indexes)


@cache
def _dumped_as_given(model: type[EventData]) -> bool:
    """Whether every valid value of every field of ``model`` is dumped (JSON mode) as the
    very value given: strings, integers, strings from a list of words, lists of them,
    optional or not, checked only by constraints and :func:`storable` (which changes
    nothing). A timestamp (written in coord's form), a date, an event id (lower-cased),
    any other validator or serializer, and a model with validators of its own are not."""
    decorators = model.__pydantic_decorators__
    if decorators.field_validators or decorators.model_validators or decorators.validators:
        return False
    return all(
        _checks_only(field.metadata) and _given_type(field.annotation)
        for field in model.model_fields.values()
    )


def _given_type(annotation: Any) -> bool:
    if annotation in (str, int, NoneType):
        return True
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return all(type(arg) is str for arg in args)
    if origin is Annotated:
        return _checks_only(args[1:]) and _given_type(args[0])
    if origin in (list, Union, UnionType):
        return all(_given_type(arg) for arg in args)
    return False


def _checks_only(metadata: Sequence[Any]) -> bool:
    """Metadata that only refuses values: constraints, strictness, :func:`storable`."""
    for item in metadata:
        if isinstance(item, FieldInfo):
            if not _checks_only(item.metadata):
                return False
        elif isinstance(item, AfterValidator):
            if item.func is not storable:
                return False
        elif not isinstance(item, BaseMetadata | Strict):
            return False
    return True


def _validated_envelope(raw: object) -> _Fields:
    """The envelope validated by its pydantic model (every error reported)."""
    if not isinstance(raw, Mapping):
        raise InvalidEvent("expected a JSON object with type, occurred_at and data")
    fields = _drop_nulls(raw)
    if isinstance(fields.get("actor"), Mapping):
        fields["actor"] = _drop_nulls(fields["actor"])
    data = fields.get("data")
    if isinstance(data, Mapping):
        fields["data"] = _drop_nulls(data)
    try:
        envelope = _Envelope.model_validate(fields)
    except ValidationError as error:
        raise InvalidEvent(describe_errors(error)) from None
    actor = envelope.actor if envelope.actor and envelope.actor.as_json() else None
    return (
        envelope.event_id,
        envelope.type,
        envelope.schema_version,
        envelope.occurred_at,
        envelope.recorded_at,
        actor,
        envelope.data,
        (None, None),
    )


def _plain_envelope(raw: object) -> _Fields | None:
    """The envelope of a plainly valid event (what a parsed JSON line usually is), read
    without the model; None whenever there is any doubt, for :func:`_validated_envelope`
    to decide (and word the errors). When it answers, the model would have answered the
    same (tests/events check the two on generated envelopes)."""
    if type(raw) is not dict or not _ENVELOPE_KEYS.issuperset(raw):
        return None
    type_name = raw.get("type")
    data = raw.get("data")
    occurred_at = raw.get("occurred_at")
    if type(type_name) is not str or type(data) is not dict or type(occurred_at) is not str:
        return None
    version = raw.get("schema_version")
    if version is None:
        version = 1
    elif type(version) is not int:
        return None
    event_id = raw.get("event_id")
    recorded = raw.get("recorded_at")
    if (event_id is not None and type(event_id) is not str) or (
        recorded is not None and type(recorded) is not str
    ):
        return None
    try:
        if event_id is not None:
            event_id = parse_event_id(event_id)
        occurred, occurred_text = timestamp_as_written(occurred_at)
        recorded_at, recorded_text = (
            (None, None) if recorded is None else timestamp_as_written(recorded)
        )
    except ValueError:
        return None
    actor: Actor | None = None
    given = raw.get("actor")
    if given is not None:
        if type(given) is not dict:
            return None
        found = _plain_actor(given)
        if found is False:
            return None
        actor = found
    plain = True
    for key, value in data.items():
        if type(key) is not str:
            return None
        if value is None:
            plain = False
    return (
        event_id,
        type_name,
        version,
        occurred,
        recorded_at,
        actor,
        data if plain else _drop_nulls(data),
        (occurred_text, recorded_text),
    )


def _plain_actor(given: dict[Any, Any]) -> Actor | Literal[False] | None:
    """The actor of a plainly valid ``actor`` object (one instance per distinct actor;
    None when it names no one), or False when the model must decide."""
    if not _ACTOR_KEYS.issuperset(given):
        return False
    user, role, site = given.get("user"), given.get("role"), given.get("site")
    for value in (user, role, site):
        if value is not None and type(value) is not str:
            return False
    key = (user, role, site)
    try:
        return _ACTORS[key]
    except KeyError:
        pass
    actor = Actor.model_validate(_drop_nulls(given))
    if len(_ACTORS) >= _MAX_ACTORS:
        _ACTORS.clear()
    _ACTORS[key] = found = actor if actor.as_json() else None
    return found


def decode_stored(
    *,
    event_id: str,
    type_name: str,
    schema_version: int,
    occurred_at: datetime,
    recorded_at: datetime,
    actor: Mapping[str, Any] | None,
    data: Mapping[str, Any],
    registry: Registry = DEFAULT_REGISTRY,
) -> Event:
    """An event as the store keeps it, already validated when it was appended: only its
    ``data`` is turned into its type's model again (the envelope's fields are typed
    columns; an older schema version takes the full path, upcasting included)."""
    if schema_version != registry.latest_version(type_name):
        raw: dict[str, Any] = {
            "event_id": event_id, "type": type_name, "schema_version": schema_version,
            "occurred_at": format_timestamp(occurred_at),
            "recorded_at": format_timestamp(recorded_at), "data": data,
        }  # fmt: skip
        if actor:
            raw["actor"] = actor
        return decode_event(raw, registry)
    return Event(
        event_id=event_id,
        type=type_name,
        schema_version=schema_version,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        actor=Actor.model_validate(actor) if actor else None,
        data=_validate_data(registry.model(type_name), data, "data"),
        written_data=data,
    )


def new_event(
    data: EventData,
    occurred_at: datetime,
    *,
    actor: Actor | None = None,
    event_id: str | None = None,
) -> Event:
    """Build an event for a command (UI or CLI) from a latest-version data model."""
    return Event(
        event_id=event_id or str(uuid.uuid4()),
        type=data.TYPE,
        schema_version=data.VERSION,
        occurred_at=occurred_at,
        recorded_at=None,
        actor=actor,
        data=data,
        written_data=data.model_dump(mode="json", exclude_none=True),
    )


def encode_event(event: Event) -> dict[str, Any]:
    """The canonical export form: every envelope field, timestamps in UTC with ``Z``,
    absent optional fields omitted."""
    occurred_text, recorded_text = event.written_times
    out: dict[str, Any] = {
        "event_id": event.event_id,
        "type": event.type,
        "schema_version": event.schema_version,
        "occurred_at": occurred_text or timestamp_text(event.occurred_at),
    }
    if event.recorded_at is not None:
        out["recorded_at"] = recorded_text or timestamp_text(event.recorded_at)
    if event.actor is not None:
        named = event.actor.as_json()
        if named:
            out["actor"] = named
    out["data"] = dict(event.written_data)
    return out


def timestamp_text(at: datetime) -> str:
    """:func:`~coord.events.timestamps.format_timestamp`, quicker for an instant already
    in UTC (as every decoded or stored one is): the same text."""
    if at.tzinfo is UTC and at.year >= 1000:  # strftime would not pad a smaller year
        if at.microsecond:
            return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031 (quicker)
                at.year, at.month, at.day, at.hour, at.minute, at.second, at.microsecond
            )  # fmt: skip
        return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (  # noqa: UP031
            at.year, at.month, at.day, at.hour, at.minute, at.second
        )  # fmt: skip
    return format_timestamp(at)


def _validate_data(model: type[EventData], data: Mapping[str, Any], where: str) -> EventData:
    """``model.model_validate(data)``, by its validator straight (what ``model_validate``
    calls, without its keyword arguments: once for every event decoded)."""
    try:
        valid: EventData = model.__pydantic_validator__.validate_python(data)
        return valid
    except ValidationError as error:
        raise InvalidEvent(describe_errors(error, prefix=where, type_name=model.TYPE)) from None


def describe_errors(error: ValidationError, prefix: str = "", type_name: str = "") -> str:
    """Turn pydantic's errors into one line a coordinator can act on (never echoing values
    that might be personal data, such as an NHS number)."""
    parts: list[str] = []
    for detail in error.errors(include_url=False, include_input=False)[:3]:
        location = ".".join(str(p) for p in detail["loc"])
        if prefix:
            location = f"{prefix}.{location}" if location else prefix
        kind = detail["type"]
        if kind == "missing":
            message = "is required"
        elif kind == "extra_forbidden":
            owner = f"{type_name} " if type_name else ""
            message = f"is not a field of {owner}(unknown fields are errors; see the SPEC)"
            message = message.replace("of (", "(")
        else:
            message = str(detail["msg"]).removeprefix("Value error, ")
            if message and message[0].isupper() and not message[:2].isupper():
                message = message[0].lower() + message[1:]
        parts.append(f"{location}: {message}" if location else message)
    more = error.error_count() - len(parts)
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)
