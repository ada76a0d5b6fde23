"""The vocabulary: event types, the envelope, the type registry and upcasters.

Depends on pydantic and the standard library only.
"""

from coord.events.envelope import (
    Actor,
    Event,
    InvalidEvent,
    decode_event,
    describe_errors,
    encode_event,
    new_event,
)
from coord.events.registry import DEFAULT_REGISTRY, Registry
from coord.events.timestamps import format_timestamp, parse_date, parse_timestamp
from coord.events.types import ALL_TYPES, EventData

__all__ = [
    "ALL_TYPES",
    "DEFAULT_REGISTRY",
    "Actor",
    "Event",
    "EventData",
    "InvalidEvent",
    "Registry",
    "decode_event",
    "describe_errors",
    "encode_event",
    "format_timestamp",
    "new_event",
    "parse_date",
    "parse_timestamp",
]
