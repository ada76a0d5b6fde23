"""The event envelope (SPEC §2): decoding a raw JSON object into an :class:`Event`,
and encoding an event back into its canonical export form."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, ValidationError

from coord.events.fields import EventId, Timestamp
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
        return {
            k: v for k, v in (("user", self.user), ("role", self.role), ("site", self.site)) if v
        }


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
    is what the store keeps and exports.
    """

    event_id: str
    type: str
    schema_version: int
    occurred_at: datetime
    recorded_at: datetime | None
    actor: Actor | None
    data: EventData
    written_data: Mapping[str, Any]

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
        return replace(self, recorded_at=at)


def _drop_nulls(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if v is not None}


def decode_event(raw: object, registry: Registry = DEFAULT_REGISTRY) -> Event:
    """Validate a raw JSON object against the envelope and its type's schema.

    Nulls are treated as absent; old schema versions are upcast before validation of
    the latest model. Raises :class:`InvalidEvent` with a reason for a coordinator.
    """
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
    type_name = envelope.type
    if type_name not in registry:
        raise InvalidEvent(f"unknown event type {type_name!r}; see the SPEC §4 for the types")
    version = envelope.schema_version
    latest = registry.latest_version(type_name)
    if version > latest:
        raise InvalidEvent(
            f"schema_version {version} of {type_name} was written by a newer coord "
            f"(this release knows up to {latest}); upgrade coord to import it"
        )
    if version < 1 or not registry.has_version(type_name, version):
        raise InvalidEvent(f"schema_version {version} of {type_name} does not exist")
    written = _validate_data(registry.model(type_name, version), envelope.data, "data")
    if version == latest:
        data = written
    else:
        upcast = registry.upcast(type_name, version, dict(envelope.data))
        data = _validate_data(registry.model(type_name), _drop_nulls(upcast), "data (upcast)")
    return Event(
        event_id=envelope.event_id or str(uuid.uuid4()),
        type=type_name,
        schema_version=version,
        occurred_at=envelope.occurred_at,
        recorded_at=envelope.recorded_at,
        actor=envelope.actor if envelope.actor and envelope.actor.as_json() else None,
        data=data,
        written_data=written.model_dump(mode="json", exclude_none=True),
    )


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
    out: dict[str, Any] = {
        "event_id": event.event_id,
        "type": event.type,
        "schema_version": event.schema_version,
        "occurred_at": format_timestamp(event.occurred_at),
    }
    if event.recorded_at is not None:
        out["recorded_at"] = format_timestamp(event.recorded_at)
    if event.actor is not None and event.actor.as_json():
        out["actor"] = event.actor.as_json()
    out["data"] = dict(event.written_data)
    return out


def _validate_data(model: type[EventData], data: Mapping[str, Any], where: str) -> EventData:
    try:
        return model.model_validate(data)
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
