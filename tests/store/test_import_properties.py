"""Property: importing a random (mostly invalid) log through the store, in small batches
with prefetched reads, decides every line exactly as the pure Ledger over an in-memory
log does, stores exactly the accepted events, and leaves a verifiable hash chain.

Runs on SQLite and PostgreSQL (a fresh database per example)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from coord.app import importing
from coord.app.importing import LineRejection, import_files
from coord.domain import Accepted, InMemoryLog, Rejected
from coord.events import Event, encode_event
from coord.store import EventStore, create_engine_for, upgrade, verify
from event_strategies import LONDON, NOW, event_lists


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # batch boundaries fall inside lifecycles, so prefetch and flush are exercised
    monkeypatch.setattr(importing, "BATCH_SIZE", 3)


def check_import_matches_ledger(db_url: str, folder: Path, events: list[Event]) -> None:
    expected = InMemoryLog().append_all(events, time_zone=LONDON, now=NOW, raise_on_reject=False)
    source = folder / "events.jsonl"
    source.write_bytes(b"".join(orjson.dumps(encode_event(e)) + b"\n" for e in events))
    engine = create_engine_for(db_url)
    try:
        upgrade(engine)
        store = EventStore(engine)
        rejected: list[LineRejection] = []
        result = import_files(
            store,
            [source],
            on_rejection=rejected.append,
            skip_invalid=True,
            now=NOW,
        )
        assert [r.line for r in rejected] == [
            n for n, d in enumerate(expected, start=1) if isinstance(d, Rejected)
        ]
        assert [r.reason for r in rejected] == [
            d.reason for d in expected if isinstance(d, Rejected)
        ]
        accepted = [d for d in expected if isinstance(d, Accepted)]
        assert result.imported == len(accepted)
        with store.reading() as reader:
            stored = list(reader.read_all())
        assert [(s.stream, s.version) for s in stored] == [(a.stream, a.version) for a in accepted]
        assert [encode_event(s.event) for s in stored] == [encode_event(a.event) for a in accepted]
        assert verify(engine).ok
    finally:
        engine.dispose()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(events=event_lists())
def test_import_decides_like_the_pure_ledger(
    db_url_factory: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
    small_batches: None,
    events: list[Event],
) -> None:
    check_import_matches_ledger(db_url_factory(), tmp_path_factory.mktemp("log"), events)
