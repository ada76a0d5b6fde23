"""Reports as of a past moment, read from the store as a stream (the log is never held
whole): they equal the pure replay of the file's events, at moments just before and
just after each retraction was recorded — so a retraction counts only once it is known."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from coord.app.database import Database
from coord.app.reporting import build_gaps, build_report
from coord.events.types import EventRetracted
from coord.reports import REPORTS, Period, compute, compute_gaps

from .conftest import sample_events

YEAR = Period(date(2023, 12, 1), date(2025, 1, 1))


def _moments() -> list[datetime]:
    """Just before and just after each retraction of the sample was recorded."""
    moments: list[datetime] = []
    for event in sample_events():
        if isinstance(event.data, EventRetracted) and event.recorded_at is not None:
            moments += [event.recorded_at - timedelta(seconds=1), event.recorded_at]
    return moments[:6]


MOMENTS = _moments()


def test_the_sample_has_retractions_to_tell_apart() -> None:
    assert len(MOMENTS) == 6


@pytest.mark.parametrize("known_at", MOMENTS, ids=lambda t: t.isoformat())
def test_streamed_as_of_equals_the_replay_of_the_file(
    sample_db: Database, known_at: datetime
) -> None:
    events = sample_events()
    zone = sample_db.time_zone
    for name in REPORTS:
        got = build_report(sample_db.store, zone, name, YEAR, None, known_at)
        assert got == compute(events, name, YEAR, None, zone, as_of=known_at), name
    got_gaps = build_gaps(sample_db.store, zone, YEAR, as_of=known_at)
    assert got_gaps == compute_gaps(events, YEAR, zone, as_of=known_at)


def test_a_retraction_is_left_out_until_it_is_recorded(sample_db: Database) -> None:
    before, after = MOMENTS[0], MOMENTS[1]
    target = next(
        e.data.event_id
        for e in sample_events()
        if isinstance(e.data, EventRetracted) and e.recorded_at == after
    )
    with sample_db.store.reading() as reader:
        assert target not in reader.retracted_event_ids(recorded_by=before)
        assert target in reader.retracted_event_ids(recorded_by=after)
        assert target in reader.retracted_event_ids()
