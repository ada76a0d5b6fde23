"""The quick paths of decoding and encoding events answer exactly as the full ones:

- an envelope read without its pydantic model (``_plain_envelope``) is the model's, and
  whenever the model would refuse it (or word anything), the quick reading declines;
- ``timestamp`` parses as ``parse_timestamp`` (same instant, same errors);
- ``timestamp_as_written`` answers as it did with a regular expression for coord's form;
- ``timestamp_text`` writes as ``format_timestamp``;
- ``storable`` refuses what it refused before;
- the data kept as given (``_written_data``) is the model's dump.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from coord.events import InvalidEvent, decode_event, encode_event, format_timestamp
from coord.events.envelope import (
    _dumped_as_given,
    _plain_envelope,
    _validated_envelope,
    timestamp_text,
)
from coord.events.fields import storable, timestamp, timestamp_as_written
from coord.events.timestamps import parse_timestamp
from coord.events.types import ALL_TYPES
from event_strategies import raw_event

VALID: dict[str, Any] = {
    "event_id": "0b9c6c1e-4a7e-4a59-9f3e-2d1f7c6a1b10",
    "type": "TransferRequested",
    "schema_version": 1,
    "occurred_at": "2025-03-02T10:00:00Z",
    "recorded_at": "2025-03-02T10:05:00.250000Z",
    "actor": {"user": "ana", "role": "mdt_coordinator", "site": "S1"},
    "data": {
        "transfer_id": "T-17",
        "patient_id": "P1",
        "item": "imaging",
        "from_site": "S1",
        "to_site": "S2",
        "method": "iep",
    },
}
TIMESTAMPS = [
    "2025-03-02T10:00:00Z",
    "2025-03-02T10:00:00.123456Z",
    "2025-03-02T10:00:00.123Z",
    "2025-03-02T10:00Z",
    "2025-03-02T11:00:00+01:00",
    "2025-03-02T10:00:00",
    "2025-03-02 10:00:00Z",
    "2025-02-30T10:00:00Z",
    "2025-03-02T24:00:00Z",
    "0000-01-01T00:00:00Z",
    "2025-03-02t10:00:00z",
    "２０２５-03-02T10:00:00Z",
    "2025-03-02T10:00:00Z\n",
    "",
]
WRONG: list[Any] = [
    None, 0, 1, -1, True, 1.5, 10**30, "", "x", [], {}, ["a"], {"a": 1},
    "0B9C6C1E-4A7E-4A59-9F3E-2D1F7C6A1B10", "0b9c6c1e-4a7e-4a59-9f3e-2d1f7c6a1b10\n",
    "not-a-uuid", "TransferSent", "NoSuchType", *TIMESTAMPS,
]  # fmt: skip
ACTORS: list[Any] = [
    None, {}, {"user": None}, {"user": ""}, {"user": "", "role": "", "site": ""},
    {"user": "a"}, {"role": "r", "site": "S"}, {"user": 1}, {"user": "a", "team": "x"},
    {1: "a"}, ["a"], "ana", {"user": "a\u0000"}, {"user": "\ud800"},
]  # fmt: skip
DATA_CHANGES: list[Any] = [
    {}, {"case_id": None}, {"case_id": "C1"}, {"item": None}, {"item": ""}, {"item": 1},
    {"surplus": 1}, {1: "x"}, {"note": None}, {"item": "a\u0000"}, {"item": "\udfff"},
]  # fmt: skip


def envelope_of(raw: object) -> tuple[str, Any]:
    try:
        return ("valid", _validated_envelope(raw))
    except InvalidEvent as error:
        return ("refused", error.reason)


@st.composite
def raw_events(draw: st.DrawFn) -> object:
    raw: dict[Any, Any] = {**VALID, "data": dict(VALID["data"])}
    for _ in range(draw(st.integers(0, 3))):
        field = draw(st.sampled_from([*VALID, "surplus", "actor", "data", "data"]))
        match draw(st.integers(0, 3)) if field in VALID else 1:
            case 0:
                raw.pop(field, None)
            case _ if field == "actor":
                raw["actor"] = draw(st.sampled_from(ACTORS))
            case _ if field == "data":
                changes = draw(st.sampled_from(DATA_CHANGES))
                base = raw.get("data")
                base = base if isinstance(base, dict) else {}
                raw["data"] = {**base, **changes} if draw(st.integers(0, 5)) else changes
            case _ if field in ("occurred_at", "recorded_at"):
                raw[field] = draw(st.sampled_from([*TIMESTAMPS, None, 1]))
            case _:
                raw[field] = draw(st.sampled_from(WRONG))
    return raw if draw(st.integers(0, 20)) else draw(st.sampled_from([[], "x", None]))


@settings(max_examples=1500, deadline=None)
@given(raw=raw_events())
@example(raw=VALID)
@example(raw={**VALID, "actor": {"user": "ana", "role": None}})
@example(raw={**VALID, "schema_version": True})
@example(raw={**VALID, "schema_version": None, "event_id": None, "recorded_at": None})
def test_the_plain_envelope_is_the_models_or_none(raw: object) -> None:
    plain = _plain_envelope(raw)
    if plain is not None:
        kind, validated = envelope_of(raw)
        assert (kind, validated[:-1]) == ("valid", plain[:-1])
        # the texts kept (the model keeps none) are the ones coord would write
        occurred, recorded = plain[3], plain[4]
        occurred_text, recorded_text = plain[-1]
        assert occurred_text in (None, format_timestamp(occurred))
        assert recorded_text is None or recorded_text == format_timestamp(recorded)


def test_the_plain_envelope_takes_a_plain_event() -> None:
    """The point of the quick path: an ordinary event never reaches the model."""
    assert _plain_envelope(VALID) is not None
    assert _plain_envelope({k: v for k, v in VALID.items() if k != "actor"}) is not None


def test_one_actor_instance_per_distinct_actor() -> None:
    first, second = decode_event(VALID), decode_event({**VALID, "event_id": None})
    assert first.actor is second.actor
    assert first.actor is not None and first.actor.as_json() == VALID["actor"]
    assert decode_event({**VALID, "actor": {"user": ""}}).actor is None


@settings(max_examples=500, deadline=None)
@given(
    text=st.one_of(
        st.sampled_from(TIMESTAMPS),
        st.from_regex(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,7})?)?(Z|[+-]\d\d:\d\d)\Z"),
        st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()[:-6] + "Z"),
        st.text(max_size=30),
    )
)
def test_timestamp_parses_as_parse_timestamp(text: str) -> None:
    def parsed(parse: Any) -> tuple[str, Any]:
        try:
            value = parse(text)
        except ValueError as error:
            return ("error", str(error))
        return ("instant", value, value.tzinfo, value.utcoffset())

    assert parsed(timestamp) == parsed(parse_timestamp)


#: coord's form as ``timestamp_as_written`` told it before it checked by position
_CANONICAL_BEFORE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?Z", re.ASCII)


def _timestamp_as_written_before(value: object) -> tuple[datetime, str | None]:
    """``timestamp_as_written`` as it was with a regular expression (the reference)."""
    if type(value) is str and _CANONICAL_BEFORE.fullmatch(value) is not None:
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            as_written = value[0] != "0" and not value.endswith(".000000Z")
            return at, value if as_written else None
    return parse_timestamp(value), None


#: characters that come near coord's form: separators of other forms, week dates, zones,
#: digits that are not ASCII, case, white space
_NEAR = "-T:.,Z+ tzW_0159\n\u0663\uff10\u00e9\ud800"


@st.composite
def near_timestamps(draw: st.DrawFn) -> str:
    """Coord's form (a fraction or none), then a character or two changed, dropped or
    added at any place."""
    at = draw(st.datetimes(timezones=st.just(UTC)))
    form = draw(st.sampled_from(["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"]))
    text = f"{at.year:04d}" + at.strftime(form)[len(str(at.year)) :]
    for _ in range(draw(st.integers(0, 2))):
        place = draw(st.integers(0, len(text)))
        char = draw(st.sampled_from(_NEAR))
        match draw(st.integers(0, 2)):
            case 0:
                text = text[:place] + char + text[place + 1 :]
            case 1:
                text = text[:place] + text[place + 1 :]
            case _:
                text = text[:place] + char + text[place:]
    return text


@settings(max_examples=3000, deadline=None)
@given(
    text=st.one_of(
        st.sampled_from(TIMESTAMPS),
        near_timestamps(),
        st.from_regex(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)\Z"),
        st.from_regex(r"\A\d{4}-?W\d\d-?\d[T ]\d\d:?\d\d:?\d\d(\.\d{6})?Z\Z"),
        st.from_regex(r"\A\d{4}-\d\d-\d\d.\d\d.\d\d.\d\d(.\d{6})?.\Z"),
        st.text(max_size=30),
    )
)
@example(text="2025-03-02T23:59:60Z")  # a leap second
@example(text="2025-W09-7T10:00:00Z")  # a week date
@example(text="2025-03-02T10:00:00.000000Z")
@example(text="0999-03-02T10:00:00Z")
@example(text="9999-12-31T23:59:59.999999Z")
@example(text="2025-03-02T10:00:00,123456Z")
@example(text="2025-03-02T10:00:00.12345\u0663Z")
@example(text="2025-03-02T1\uff10:00:00Z")
def test_timestamp_as_written_answers_as_before(text: str) -> None:
    """Telling coord's form by its separators' places accepts, refuses and keeps exactly
    what the regular expression did: the same instant, text kept and error."""

    def answer(read: Any) -> tuple[Any, ...]:
        try:
            at, kept = read(text)
        except ValueError as error:
            return ("error", str(error))
        return ("instant", at, at.tzinfo, kept)

    assert answer(timestamp_as_written) == answer(_timestamp_as_written_before)


@settings(max_examples=500, deadline=None)
@given(
    at=st.datetimes(
        # instants that exist in UTC (year 1 at +02:00 does not: parsing rejects it)
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5))]
        ),
    )
)
@example(at=datetime(999, 12, 31, 23, 0, tzinfo=UTC))
@example(at=datetime(2025, 1, 1, 0, 0, 0, 1, tzinfo=UTC))
def test_timestamp_text_writes_as_format_timestamp(at: datetime) -> None:
    assert timestamp_text(at) == format_timestamp(at)


@settings(max_examples=500, deadline=None)
@given(
    at=st.datetimes(timezones=st.just(UTC)),
    form=st.sampled_from(["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%d %H:%M:%SZ"]),
)
@example(at=datetime(999, 12, 31, 23, 0, tzinfo=UTC), form="%Y-%m-%dT%H:%M:%SZ")
@example(at=datetime(2025, 1, 1, 0, 0, 0, 0, tzinfo=UTC), form="%Y-%m-%dT%H:%M:%S.%fZ")
def test_a_timestamp_is_kept_as_written_only_when_coord_writes_it_so(
    at: datetime, form: str
) -> None:
    """An event keeps the text of its instants (``written_times``) to store it as given:
    only when it is the text coord would write, so the stored bytes and hashes are the
    same as when the instant is written again."""
    text = f"{at.year:04d}" + at.strftime(form)[len(str(at.year)) :]
    for written in (text, *TIMESTAMPS):
        try:
            parsed, kept = timestamp_as_written(written)
        except ValueError:
            continue
        assert parsed == timestamp(written)
        assert kept is None or kept == format_timestamp(parsed)
    assert timestamp_as_written("2025-03-02T10:00:00Z")[1] == "2025-03-02T10:00:00Z"
    assert timestamp_as_written("2025-03-02T10:00:00.000000Z")[1] is None  # written without
    assert timestamp_as_written("0999-03-02T10:00:00Z")[1] is None  # written as 999-...


def test_an_event_is_exported_as_when_its_instants_are_written_again() -> None:
    """The texts kept change neither the export form nor equality; a recorded time set by
    the store drops the recorded text given."""
    for raw in (
        VALID,
        {**VALID, "recorded_at": "2025-03-02T10:05:00.000000Z"},
        {**VALID, "occurred_at": "2025-03-02T11:00:00+01:00"},
    ):
        event = decode_event(raw)
        again = replace(event, written_times=(None, None))
        assert event == again
        assert encode_event(event) == encode_event(again)
    event = decode_event(VALID)
    assert event.written_times == ("2025-03-02T10:00:00Z", "2025-03-02T10:05:00.250000Z")
    later = event.recorded(datetime(2025, 3, 2, 11, 0, tzinfo=UTC))
    assert encode_event(later)["recorded_at"] == "2025-03-02T11:00:00Z"
    assert encode_event(later)["occurred_at"] == "2025-03-02T10:00:00Z"


def _storable_before(value: str) -> str:
    """``storable`` as it was written first (the reference)."""
    if "\x00" in value:
        raise ValueError("contains a NUL character (\\u0000), which cannot be stored; remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            "contains an unpaired surrogate escape (\\ud800-\\udfff), which is not text; "
            "fix the escape"
        ) from None
    return value


@given(value=st.text(alphabet=st.characters(codec=None, exclude_categories=())))
@example(value="a\x00")
@example(value="\ud800")
@example(value="é\x00\ud800")
def test_storable_refuses_what_it_did(value: str) -> None:
    def checked(check: Any) -> tuple[str, str]:
        try:
            return ("kept", check(value))
        except ValueError as error:
            return ("refused", str(error))

    assert checked(storable) == checked(_storable_before)


@pytest.mark.parametrize("raw", [VALID, {**VALID, "actor": None, "recorded_at": None}])
def test_recorded_is_the_event_with_that_recorded_at(raw: dict[str, Any]) -> None:
    event = decode_event(raw)
    later = datetime(2026, 1, 1, tzinfo=UTC)
    assert event.recorded(later) == replace(event, recorded_at=later)
    assert event.recorded(later).recorded_at is later
    if event.recorded_at is not None:
        assert event.recorded(event.recorded_at) is event
    assert encode_event(event.recorded(later))["recorded_at"] == "2026-01-01T00:00:00Z"


@settings(max_examples=600, deadline=None)
@given(
    raw=st.integers(0, 50).flatmap(raw_event),
    order=st.sampled_from(["given", "reversed", "upper"]),
)
@example(raw={**VALID, "data": {**VALID["data"], "case_id": "C1"}}, order="given")
def test_the_data_kept_as_given_is_the_models_dump(raw: dict[str, Any], order: str) -> None:
    """``written_data`` (what the store keeps, hashes and exports) is the data model's
    JSON dump, key order included, whether the given data is kept or dumped: keys out of
    the model's order, an upper-case event id, dates and timestamps all take the dump."""
    data = raw["data"]
    if order == "reversed":
        raw = {**raw, "data": dict(reversed(data.items()))}
    elif order == "upper":
        raw = {**raw, "data": {k: v.upper() if k == "event_id" else v for k, v in data.items()}}
    try:
        event = decode_event(raw)
    except InvalidEvent:
        return
    dumped = event.data.model_dump(mode="json", exclude_none=True)
    assert list(event.written_data.items()) == list(dumped.items())


def test_data_is_kept_as_given_only_for_types_dumped_as_given() -> None:
    """The point of the quick path (most lines keep their data, no dump), and the types
    whose dump may differ from what was given."""
    given = dict(VALID["data"])
    assert decode_event({**VALID, "data": given}).written_data is given
    assert [model.TYPE for model in ALL_TYPES if not _dumped_as_given(model)] == [
        "ProtocolPublished",  # a validator of its own
        "ReferralMade",  # a date
        "MeetingScheduled",  # timestamps
        "ActionAgreed",  # a date
        "EventRetracted",  # an event id, lower-cased
    ]
