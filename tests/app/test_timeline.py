"""A patient's timeline: every event of every stream naming the patient, in log order,
paged; retracted events carry their retraction's reason; NHS numbers never shown."""

from __future__ import annotations

from datetime import UTC, datetime

from coord.app.database import Database
from coord.app.recording import record
from coord.app.timeline import summary, timeline_page
from coord.events import new_event
from coord.events.types import EventRetracted, PatientRegistered

from .conftest import sample_events

PATIENT = "PT00025"


def _streams_naming(patient_id: str) -> set[str]:
    """Independently of the reference index: streams whose opening event names the
    patient, and the patient's own stream."""
    streams = {f"patient:{patient_id}"}
    for event in sample_events():
        if getattr(event.data, "patient_id", None) == patient_id and event.own_stream:
            streams.add(event.own_stream)
    return streams


def test_timeline_holds_every_event_of_the_patients_streams_in_order(
    sample_db: Database,
) -> None:
    page = timeline_page(sample_db.store, PATIENT, limit=10_000)
    streams = _streams_naming(PATIENT)
    assert set(page.streams) == streams
    kinds = {s.partition(":")[0] for s in streams}
    assert {"patient", "referral", "case", "handover"} <= kinds
    positions = [e.position for e in page.entries]
    assert positions == sorted(positions)
    assert page.total == len(page.entries) > 10
    with sample_db.store.reading() as reader:
        expected = [
            s.event.event_id
            for s in reader.read_all()
            if any(s.stream == stream for stream in streams)
        ]
    assert [e.event.event_id for e in page.entries] == expected


def test_pages_join_up(sample_db: Database) -> None:
    whole = timeline_page(sample_db.store, PATIENT, limit=10_000)
    first = timeline_page(sample_db.store, PATIENT, limit=7)
    second = timeline_page(sample_db.store, PATIENT, offset=7, limit=7)
    assert first.entries + second.entries == whole.entries[:14]
    assert first.total == whole.total


def test_a_retracted_event_carries_its_retraction(sample_db: Database) -> None:
    page = timeline_page(sample_db.store, PATIENT, limit=10_000)
    target = page.entries[-1]
    assert target.retracted_by is None
    at = datetime(2025, 1, 10, tzinfo=UTC)
    retraction = new_event(
        EventRetracted(event_id=target.event.event_id, reason="recorded for the wrong patient"),
        at,
    )
    record(sample_db.store, retraction, now=at)
    after = timeline_page(sample_db.store, PATIENT, limit=10_000)
    retracted = next(e for e in after.entries if e.event.event_id == target.event.event_id)
    assert retracted.retracted_by is not None
    assert retracted.retracted_by.reason == "recorded for the wrong patient"
    assert after.entries[-1].is_retraction
    assert after.total == page.total + 1


def test_unknown_patient_has_an_empty_timeline(sample_db: Database) -> None:
    page = timeline_page(sample_db.store, "nobody", limit=10)
    assert page.total == 0
    assert page.entries == ()


def test_summary_never_shows_an_nhs_number() -> None:
    event = new_event(
        PatientRegistered(patient_id="P1", nhs_number="9434765919"),
        datetime(2025, 1, 1, tzinfo=UTC),
    )
    text = summary(event)
    assert "9434765919" not in text
    assert "patient id" not in text  # the stream names the subject
    assert "NHS number recorded" in text
