"""Fixtures of the query-module tests: the shared sample network imported into a real
database (SQLite and PostgreSQL, via ``db_url``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from coord.app.database import Database, initialise
from coord.app.importing import import_files
from coord.events import Event, decode_event

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample-network.jsonl"


@pytest.fixture
def sample_db(db_url: str) -> Iterator[Database]:
    """A database holding the sample network (2,800 events, Dec 2023 - Dec 2024)."""
    database = initialise(db_url)

    def refuse(rejection: object) -> None:
        raise AssertionError(f"the sample must import cleanly: {rejection}")

    import_files(database.store, [SAMPLE], on_rejection=refuse)
    try:
        yield database
    finally:
        database.close()


def sample_events() -> list[Event]:
    """The sample's events, decoded from the file (an independent path from the store)."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    return [decode_event(json.loads(line)) for line in lines if line.strip()]
