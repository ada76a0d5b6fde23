"""The envelope of SPEC §2: what a line must look like to be an event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from coord.events import InvalidEvent, decode_event, encode_event, parse_timestamp


def raw(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": "0B9C6C1E-4A7E-4A59-9F3E-2D1F7C6A1B10",
        "type": "TransferRequested",
        "occurred_at": "2025-03-02T10:00:00+01:00",
        "data": {
            "transfer_id": "T-17",
            "patient_id": "P1",
            "item": "imaging",
            "from_site": "S1",
            "to_site": "S2",
            "method": "iep",
        },
    }
    event.update(changes)
    return event


def data(**changes: Any) -> dict[str, Any]:
    return {**raw()["data"], **changes}


def rejected(event: dict[str, Any]) -> str:
    with pytest.raises(InvalidEvent) as error:
        decode_event(event)
    return error.value.reason


def test_a_valid_event_decodes_with_utc_times_and_lower_case_id() -> None:
    event = decode_event(raw())
    assert event.event_id == "0b9c6c1e-4a7e-4a59-9f3e-2d1f7c6a1b10"
    assert event.occurred_at == datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
    assert event.own_stream == "transfer:T-17"
    assert encode_event(event)["occurred_at"] == "2025-03-02T09:00:00Z"


def test_event_id_is_generated_when_absent() -> None:
    first = decode_event({k: v for k, v in raw().items() if k != "event_id"})
    second = decode_event({k: v for k, v in raw().items() if k != "event_id"})
    assert first.event_id != second.event_id
    assert len(first.event_id) == 36


@pytest.mark.parametrize(
    "event_id",
    [
        "T-17",
        "0b9c6c1e4a7e4a599f3e2d1f7c6a1b10",
        "{0b9c6c1e-4a7e-4a59-9f3e-2d1f7c6a1b10}",
        7,
        "0b9c6c1e-4a7e-4a59-9f3e-2d1f7c6a1b10\n",  # was stored with its newline
    ],
)
def test_event_id_must_be_a_canonical_uuid(event_id: object) -> None:
    assert "event_id" in rejected(raw(event_id=event_id))


@pytest.mark.parametrize(
    "stamp",
    [
        "2025-03-02T10:00:00",  # no offset
        "2025-03-02 10:00:00Z",  # no T
        "2025-03-02t10:00:00z",  # lower case
        "2025-03-02T10:00:00.1234567Z",  # 7 fractional digits
        "2025-03-02",
        "2025-02-30T10:00Z",
        1740909600,
        "0001-01-01T00:30:00+02:00",  # before year 1 in UTC (was an OverflowError)
        "9999-12-31T23:30:00-02:00",  # after year 9999 in UTC
        "2025-03-02T10:00:00Z\n",  # a final newline (was accepted)
        "2025-03-02T10:00:00+01:00\n",
    ],
)
def test_timestamps_must_be_rfc3339_with_an_offset(stamp: object) -> None:
    assert rejected(raw(occurred_at=stamp)).startswith("occurred_at:")


def test_an_instant_given_as_a_datetime_outside_utc_years_is_refused_with_its_text() -> None:
    """The datetime path formats the instant only for this error (not on every call)."""
    early = datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    with pytest.raises(ValueError, match=r"'0001-01-01T00:30:00\+02:00' is outside the years"):
        parse_timestamp(early)
    assert parse_timestamp(datetime(2025, 3, 2, 12, tzinfo=timezone(timedelta(hours=2)))) == (
        datetime(2025, 3, 2, 10, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("stamp", "utc"),
    [
        ("2025-03-02T10:00Z", datetime(2025, 3, 2, 10, 0, tzinfo=UTC)),
        ("2025-03-02T10:00:05.5-02:30", datetime(2025, 3, 2, 12, 30, 5, 500000, tzinfo=UTC)),
    ],
)
def test_timestamp_forms_that_are_accepted(stamp: str, utc: datetime) -> None:
    assert decode_event(raw(occurred_at=stamp)).occurred_at == utc


def test_unknown_envelope_and_data_fields_are_errors() -> None:
    assert "colour" in rejected(raw(colour="red"))
    assert "data.colour" in rejected(raw(data=data(colour="red")))


def test_null_is_absent() -> None:
    event = decode_event(raw(recorded_at=None, actor=None, data=data(case_id=None)))
    assert event.recorded_at is None and event.actor is None
    assert "case_id" not in encode_event(event)["data"]
    assert "data.item: is required" in rejected(raw(data=data(item=None)))


def test_required_fields() -> None:
    for field in ("type", "occurred_at", "data"):
        event = raw()
        del event[field]
        assert f"{field}: is required" in rejected(event)


def test_ids_are_limited_to_100_code_points_and_text_to_10000() -> None:
    decode_event(raw(data=data(transfer_id="é" * 100)))
    assert "data.transfer_id" in rejected(raw(data=data(transfer_id="é" * 101)))
    assert "data.transfer_id" in rejected(raw(data=data(transfer_id="")))
    failed = {"type": "TransferFailed", "occurred_at": "2025-03-02T10:00Z"}
    decode_event({**failed, "data": {"transfer_id": "T", "reason": "x" * 10_000}})
    assert "data.reason" in rejected(
        {**failed, "data": {"transfer_id": "T", "reason": "x" * 10_001}}
    )


def test_integers_are_json_integers_not_booleans_or_floats() -> None:
    published = {"type": "ProtocolPublished", "occurred_at": "2025-03-02T10:00Z"}
    ok = {"pathway": "kidney", "version": 1, "required_items": ["imaging"]}
    decode_event({**published, "data": ok})
    assert "data.version" in rejected({**published, "data": {**ok, "version": True}})
    assert "data.version" in rejected({**published, "data": {**ok, "version": 1.0}})
    assert "data.version" in rejected({**published, "data": {**ok, "version": 0}})
    assert "schema_version" in rejected(raw(schema_version=True))


def test_enumerations_are_checked() -> None:
    assert "data.method" in rejected(raw(data=data(method="fax")))


def test_unknown_type_is_an_error() -> None:
    assert "unknown event type 'TransferTeleported'" in rejected(raw(type="TransferTeleported"))


def test_a_newer_schema_version_was_written_by_a_newer_coord() -> None:
    assert "written by a newer coord" in rejected(raw(schema_version=2))


def test_actor_members_are_optional_strings_and_nothing_else() -> None:
    event = decode_event(raw(actor={"user": "jdoe", "role": None}))
    assert encode_event(event)["actor"] == {"user": "jdoe"}
    assert "actor.team" in rejected(raw(actor={"team": "x"}))


def test_nhs_number_is_never_quoted_in_a_schema_error() -> None:
    patient = {"type": "PatientRegistered", "occurred_at": "2025-03-02T10:00Z"}
    reason = rejected({**patient, "data": {"patient_id": "P1", "nhs_number": 9434765919}})
    assert "9434765919" not in reason


def test_export_form_orders_fields_and_omits_absent_ones() -> None:
    encoded = encode_event(decode_event(raw(recorded_at="2025-03-02T10:00:00.250Z")))
    assert list(encoded) == [
        "event_id",
        "type",
        "schema_version",
        "occurred_at",
        "recorded_at",
        "data",
    ]
    assert encoded["recorded_at"] == "2025-03-02T10:00:00.250000Z"
