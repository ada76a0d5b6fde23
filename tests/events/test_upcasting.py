"""Upcasters run on the raw dict before validation (an invented v2 of TransferChased)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from coord.events import DEFAULT_REGISTRY, EventData, InvalidEvent, decode_event, encode_event
from coord.events.fields import Id, Text


class TransferChasedV2(EventData):
    """Invented for this test: v2 says how the transfer was chased."""

    TYPE: ClassVar[str] = "TransferChased"
    VERSION: ClassVar[int] = 2
    STREAM: ClassVar[str] = "transfer"
    SUBJECT: ClassVar[str] = "transfer_id"
    transfer_id: Id
    channel: Text


def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "channel": "unknown"}


@pytest.fixture
def registry():  # type: ignore[no-untyped-def]
    registry = DEFAULT_REGISTRY.copy()
    registry.register(TransferChasedV2)
    registry.add_upcaster("TransferChased", 1, v1_to_v2)
    return registry


V1 = {
    "type": "TransferChased",
    "occurred_at": "2025-03-02T10:00Z",
    "data": {"transfer_id": "T-17"},
}


def test_a_v1_event_is_upcast_to_v2_before_validation(registry) -> None:  # type: ignore[no-untyped-def]
    event = decode_event(V1, registry)
    assert isinstance(event.data, TransferChasedV2)
    assert event.data.channel == "unknown"
    # The log keeps what was written: export gives back version 1 as it was.
    assert encode_event(event)["schema_version"] == 1
    assert encode_event(event)["data"] == {"transfer_id": "T-17"}


def test_v2_events_validate_against_v2(registry) -> None:  # type: ignore[no-untyped-def]
    v2 = {**V1, "schema_version": 2, "data": {"transfer_id": "T-17", "channel": "phone"}}
    assert decode_event(v2, registry).data.channel == "phone"  # type: ignore[attr-defined]
    with pytest.raises(InvalidEvent, match=r"data\.channel: is required"):
        decode_event({**v2, "data": {"transfer_id": "T-17"}}, registry)


def test_a_v1_event_is_still_validated_as_v1(registry) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidEvent, match=r"data\.channel"):
        decode_event({**V1, "data": {"transfer_id": "T-17", "channel": "phone"}}, registry)


def test_the_default_registry_is_untouched(registry) -> None:  # type: ignore[no-untyped-def]
    assert DEFAULT_REGISTRY.latest_version("TransferChased") == 1
    with pytest.raises(InvalidEvent, match="newer coord"):
        decode_event({**V1, "schema_version": 2})


def test_registering_the_same_version_twice_is_refused(registry) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="already registered"):
        registry.register(TransferChasedV2)
