"""Recording and importing take the network's time zone as stored when they write, read
in their own unit of work (which holds the lock ``coord init --tz`` takes to change it):
a database opened before another process changed the zone checks the local-date rules
in the new one (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from coord.app.database import Database, initialise
from coord.app.importing import ImportRejected, LineRejection, import_files
from coord.app.recording import EventRejected, record
from coord.events import encode_event, new_event
from coord.events.types import TechnicalIssueReported

#: BLAD-2024-12-18 is at 12:30 UTC; 20:00 UTC that day is still the meeting's day in
#: London (the sample's zone) but already the next day in Tokyo
EVENING = datetime(2024, 12, 18, 20, 0, tzinfo=UTC)
NEXT_DAY = datetime(2024, 12, 19, 12, 0, tzinfo=UTC)
REFUSAL = "not on the day of meeting BLAD-2024-12-18"


def _issue_in_the_evening() -> TechnicalIssueReported:
    return TechnicalIssueReported(meeting_id="BLAD-2024-12-18", kind="video_link")


def _stored_as_tokyo_by_another_process(url: str) -> None:
    initialise(url, "Asia/Tokyo").close()


def test_record_takes_the_zone_stored_since_the_database_was_opened(
    sample_db: Database, db_url: str
) -> None:
    event = new_event(_issue_in_the_evening(), EVENING)
    assert sample_db.time_zone.key == "Europe/London"  # as read when it was opened

    _stored_as_tokyo_by_another_process(db_url)

    with pytest.raises(EventRejected, match=REFUSAL):
        record(sample_db.store, event, now=NEXT_DAY)
    with sample_db.store.reading() as reader:
        assert reader.find_event(event.event_id) is None


def test_record_in_the_zone_as_stored_accepts_the_evening(sample_db: Database) -> None:
    event = new_event(_issue_in_the_evening(), EVENING)
    record(sample_db.store, event, now=NEXT_DAY)
    with sample_db.store.reading() as reader:
        assert reader.find_event(event.event_id) is not None


def test_import_takes_the_zone_stored_since_the_database_was_opened(
    sample_db: Database, db_url: str, tmp_path: Path
) -> None:
    line = tmp_path / "issue.jsonl"
    event = new_event(_issue_in_the_evening(), EVENING)
    line.write_bytes(orjson.dumps(encode_event(event)) + b"\n")

    _stored_as_tokyo_by_another_process(db_url)

    rejections: list[LineRejection] = []
    with pytest.raises(ImportRejected):
        import_files(sample_db.store, [line], on_rejection=rejections.append, now=NEXT_DAY)
    assert [(r.line, REFUSAL in r.reason) for r in rejections] == [(1, True)]
