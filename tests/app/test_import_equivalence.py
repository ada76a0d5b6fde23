"""The import's quicker paths store what the full ones store: a generated log, with lines
in other JSON and timestamp forms and bad lines of several kinds, imported as it is and
with the quick paths turned off (every line's keys counted against its text, every
instant written again from its value) gives the same rows, column for column (hashes
included), the same references and the same rejections (line numbers and reasons).

Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from coord.app.database import initialise
from coord.app.importing import LineRejection, import_files
from coord.demo.generator import generate
from coord.demo.network import load_network
from coord.events import envelope
from coord.events.fields import timestamp
from coord.interop import jsonl

NOW = datetime.fromisoformat("2026-01-01T00:00:00Z")


def other_forms(line: str, number: int) -> str:
    """The line in one of the other forms coord reads: spaced JSON, escaped text, an
    offset, a zero fraction, a fraction, no recorded_at (the store's time then)."""
    raw = json.loads(line)
    match number % 6:
        case 0:
            return json.dumps(raw)  # ", " and ": "
        case 1:
            return json.dumps(raw, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/")
        case 2:
            raw["occurred_at"] = raw["occurred_at"].replace("Z", "+00:00")
        case 3:
            raw["recorded_at"] = raw["recorded_at"].replace("Z", ".000000Z")
        case 4:
            raw["occurred_at"] = raw["occurred_at"].replace("Z", ".250000Z")
        case _:
            del raw["recorded_at"]
    return json.dumps(raw, separators=(",", ":"), ensure_ascii=False)


BAD_LINES = [
    '{"type":"SiteRegistered","type":"SiteRegistered"}',  # a repeated key
    '{"event_id":"x","type":"NoSuchType","occurred_at":"2025-03-03T09:00:00Z","data":{}}',
    '{"type":"SiteRegistered","occurred_at":"2025-03-03T25:00:00Z","data":{"site_id":"S9"}}',
    '{"type":"SiteRegistered","occurred_at":"2025-03-03T09:00:00Z","data":{"site_id":1}}',
    '{"type":"SiteRegistered","occurred_at":"2025-03-03T09:00:00Z","data":{"surplus":"x"}}',
    '{"type":"SiteRegistered","occurred_at":"0999-03-03T09:00:00Z","data":{"site_id":"S8",'
    '"name":"Early"}}',
    '{"type":"SiteRegistered"',  # not JSON
    "[1, 2]",
    '{"type":"CaseDiscussed","occurred_at":"2025-03-03T09:00:00Z","data":{"case_id":"none",'
    '"meeting_id":"none"}}',  # a rule broken
]


def a_log(folder: Path) -> Path:
    out = io.BytesIO()
    generate(load_network(), seed=3, months=1, out=out, scale=0.05, start=date(2025, 3, 3))
    lines = out.getvalue().decode("utf-8").splitlines()
    assert len(lines) > 200
    mixed = [other_forms(line, n) if n % 3 == 0 else line for n, line in enumerate(lines)]
    # the bad lines among the others, and a good line repeated (a duplicate)
    for n, bad in enumerate(BAD_LINES):
        mixed.insert(40 + 17 * n, bad)
    mixed.append(lines[10])
    path = folder / "log.jsonl"
    path.write_text("\n".join(mixed) + "\n", encoding="utf-8")
    return path


def imported(url: str, path: Path) -> tuple[list[Any], list[Any], list[str], tuple[int, ...]]:
    database = initialise(url)
    try:
        rejected: list[LineRejection] = []
        result = import_files(
            database.store, [path], on_rejection=rejected.append, skip_invalid=True, now=NOW
        )
        with database.store.engine.connect() as connection:
            events = [
                tuple(r) for r in connection.execute(text("SELECT * FROM events ORDER BY position"))
            ]
            references = [
                tuple(r)
                for r in connection.execute(
                    text("SELECT * FROM event_references ORDER BY position, ordinal")
                )
            ]
    finally:
        database.close()
    counts = (result.imported, result.duplicates, result.rejected)
    return events, references, [f"{r}: {r.text}" for r in rejected], counts


def test_the_quick_paths_store_what_the_full_ones_store(
    db_url: str,
    db_url_factory: Callable[[], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = a_log(tmp_path)
    quick = imported(db_url, path)
    events, _, rejections, (accepted, duplicates, rejected) = quick
    assert accepted > 200 and duplicates == 1 and rejected == len(BAD_LINES)
    assert len(events) == accepted
    assert any("appears twice" in r for r in rejections)

    monkeypatch.setattr(jsonl, "_written_back", lambda value, text: False)
    monkeypatch.setattr(envelope, "timestamp_as_written", lambda value: (timestamp(value), None))
    assert imported(db_url_factory(), path) == quick
