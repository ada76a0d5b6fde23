"""The read models: kept in the append transaction, changed only where a fact changes
them, rebuilt atomically, and caught up for a log stored before they existed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from coord.app.database import Database, initialise, open_database
from coord.app.importing import import_files
from coord.app.recording import record
from coord.app.reporting import build_gaps, build_report
from coord.events import decode_event
from coord.projections import rebuild as rebuild_module
from coord.projections.live import ReadModelsBehind
from coord.projections.rebuild import rebuild
from coord.reports import FactBuilder, Period
from coord.store.schema import read_models

WIDE = Period(date(2020, 1, 1), date(2030, 1, 1))
SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample-network.jsonl"


@pytest.fixture
def sample(db_url: str) -> Iterator[Database]:
    database = initialise(db_url)
    import_files(database.store, [SAMPLE], on_rejection=print)
    yield database
    database.close()


def rows(database: Database) -> dict[tuple[str, str, int], Any]:
    with database.store.reading() as reader:
        found = reader.connection.execute(select(read_models))
        return {(r.owner, r.kind, r.seq): (r.at, r.ref, r.payload) for r in found}


def test_a_late_fact_changes_exactly_its_cases_rows(sample: Database) -> None:
    before = rows(sample)
    late = decode_event(
        {
            "type": "ItemReceived",
            "occurred_at": "2024-03-14T09:00:00Z",  # before the discussion on 15 March
            "data": {"case_id": "CASE-00010", "item": "endoscopy_report"},
        }
    )
    record(sample.store, late)
    after = rows(sample)
    changed = {key[0] for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert changed == {"case:CASE-00010"}


def test_a_retraction_changes_exactly_its_subjects_rows(sample: Database) -> None:
    with sample.store.reading() as reader:
        chase = next(s.event for s in reader.read_all() if s.event.type == "TransferChased")
    before = rows(sample)
    retraction = decode_event(
        {
            "type": "EventRetracted",
            "occurred_at": "2025-12-01T09:00:00Z",
            "data": {"event_id": chase.event_id, "reason": "chased the wrong transfer"},
        }
    )
    record(sample.store, retraction)
    after = rows(sample)
    changed = {key[0] for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    transfer = f"transfer:{chase.data.transfer_id}"  # type: ignore[attr-defined]
    assert transfer in changed
    assert changed <= {transfer} | {o for o in changed if o.startswith("case:")}
    assert len(changed) <= 2  # the transfer, and the case it was requested for


def test_a_failed_rebuild_leaves_the_read_models_in_place(
    sample: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = rows(sample)

    def broken(*args: Any, **kwargs: Any) -> Iterator[Any]:
        yield from ()
        raise RuntimeError("disk full")

    monkeypatch.setattr(rebuild_module, "rows_of", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        rebuild(sample.store)
    assert rows(sample) == before
    monkeypatch.undo()
    assert rebuild(sample.store) == (2800, len(before))
    assert rows(sample).keys() == before.keys()


@pytest.mark.parametrize("enabled", [True, False])
def test_a_failed_rebuild_leaves_the_collector_as_it_found_it(
    sample: Database, monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    """The rebuild pauses Python's cyclic garbage collector for its fold; a rebuild that
    fails part-way (after the fold, while writing) must still switch it back on, or the
    process that ran it (the TUI, a long-lived service) would never collect a reference
    cycle again, and must not switch on one that its caller had switched off."""

    def broken(*args: Any, **kwargs: Any) -> Iterator[Any]:
        assert not gc.isenabled()  # paused while the rows are made
        yield from ()
        raise RuntimeError("disk full")

    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        monkeypatch.setattr(rebuild_module, "rows_of", broken)
        with pytest.raises(RuntimeError, match="disk full"):
            rebuild(sample.store)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_init_catches_up_a_log_stored_before_the_read_models(sample: Database) -> None:
    with sample.engine.begin() as connection:
        connection.execute(text("DELETE FROM read_models"))
        connection.execute(text("DELETE FROM projection_checkpoints"))
    assert rows(sample) == {}
    database = open_database(sample.url)
    try:
        with pytest.raises(ReadModelsBehind, match="coord rebuild"):
            build_report(database.store, database.time_zone, "transfers", WIDE, None)
    finally:
        database.close()
    again = initialise(sample.url)
    try:
        assert rows(again)
    finally:
        again.close()


def test_init_makes_the_gap_rows_of_a_database_from_before_them(sample: Database) -> None:
    """A database whose read models were made before they kept the gaps query's rows
    (schema 0004): `coord init` upgrades it and rebuilds them, gap rows and all."""
    gaps = build_gaps(sample.store, sample.time_zone, WIDE)
    before = rows(sample)
    assert gaps.rows and any(kind == "gap" for _, kind, _ in before)
    with sample.engine.begin() as connection:
        connection.execute(text("DELETE FROM read_models WHERE kind = 'gap'"))
        connection.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    again = initialise(sample.url)
    try:
        assert rows(again) == before
        assert build_gaps(again.store, again.time_zone, WIDE) == gaps
    finally:
        again.close()


def test_the_folds_state_is_freed_before_the_collector_is_on_again(
    sample: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collector, paused for the rebuild, is not switched on again while the fold's
    state is still held (its first collection would traverse every object of it)."""
    builders: list[weakref.ref[FactBuilder]] = []
    held_at_exit: list[bool] = []

    class Tracked(FactBuilder):
        def __init__(self) -> None:
            super().__init__()
            builders.append(weakref.ref(self))

    paused = rebuild_module.collector_paused

    @contextmanager
    def watched() -> Iterator[None]:
        with paused():
            yield
            held_at_exit.append(any(ref() is not None for ref in builders))

    monkeypatch.setattr(rebuild_module, "FactBuilder", Tracked)
    monkeypatch.setattr(rebuild_module, "collector_paused", watched)
    before = rows(sample)
    assert rebuild(sample.store) == (2800, len(before))
    assert builders and held_at_exit == [False]
    assert rows(sample) == before
