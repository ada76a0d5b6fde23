"""An import that appends much relative to the log it finds projects in bulk: the
projector stops, and the read models are derived again from the whole log in the
import's own transaction. It stays all-or-nothing, and a reader sees the old log with
the old read models or the new log with the new ones, never a mix."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from coord.app import importing
from coord.app.database import Database, initialise
from coord.app.importing import ImportRejected, import_files
from coord.domain.log import Accepted
from coord.projections import rebuild as rebuild_module
from coord.projections.rebuild import rebuild
from coord.store.log import EventStore, Writer
from coord.store.schema import read_models

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample-network.jsonl"
RowKey = tuple[str, str, int]


@pytest.fixture
def halves(tmp_path: Path) -> tuple[Path, Path]:
    """The sample network's log in two files: its first 1,000 lines, and the rest."""
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    first, rest = tmp_path / "first.jsonl", tmp_path / "rest.jsonl"
    first.write_bytes(b"".join(lines[:1000]))
    rest.write_bytes(b"".join(lines[1000:]))
    return first, rest


def run_import(
    database: Database,
    *paths: Path,
    on_projecting: Callable[[int], Callable[[int], None]] | None = None,
) -> None:
    import_files(
        database.store,
        list(paths),
        on_rejection=print,
        on_projecting=on_projecting,
    )


def rows(store: EventStore) -> dict[RowKey, Any]:
    with store.reading() as reader:
        found = reader.connection.execute(select(read_models))
        return {(r.owner, r.kind, r.seq): tuple(r) for r in found}


def events_and_checkpoint(store: EventStore) -> tuple[int, int | None]:
    with store.reading() as reader:
        checkpoint = reader.connection.execute(
            text("SELECT position FROM projection_checkpoints")
        ).scalar()
        return reader.count(), checkpoint


class CountedHook:
    """The store's append hook, counting the events it is given."""

    def __init__(self, store: EventStore) -> None:
        assert store.on_append is not None
        self.hook = store.on_append
        self.projected = 0
        store.on_append = self

    def __call__(self, writer: Writer, records: Sequence[Accepted], positions: list[int]) -> None:
        self.projected += len(records)
        self.hook(writer, records, positions)


def test_an_import_into_an_empty_log_projects_in_bulk(
    database: Database, halves: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "BATCH_SIZE", 100)
    hook = CountedHook(database.store)
    run_import(database, SAMPLE)
    assert hook.projected == 0
    assert events_and_checkpoint(database.store) == (2800, 2800)
    imported = rows(database.store)
    assert imported
    rebuild(database.store)
    assert rows(database.store) == imported


def test_an_import_small_beside_the_log_projects_batch_by_batch(
    database: Database, halves: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """1,800 events after 1,000: bulk once 0.9 × 1,000 are appended batch by batch (the
    ratio set so); with the ratio at 2, all 1,800 batch by batch."""
    first, rest = halves
    monkeypatch.setattr(importing, "BATCH_SIZE", 100)
    run_import(database, first)
    hook = CountedHook(database.store)
    monkeypatch.setattr(importing, "BULK_PROJECTION_RATIO", 0.9)
    run_import(database, rest)
    assert hook.projected == 900
    after_switch = rows(database.store)
    rebuild(database.store)
    assert rows(database.store) == after_switch


def test_an_import_smaller_than_the_ratio_never_switches(
    database: Database, halves: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, rest = halves
    run_import(database, first)
    hook = CountedHook(database.store)
    monkeypatch.setattr(importing, "BULK_PROJECTION_RATIO", 2)
    run_import(database, rest)
    assert hook.projected == 1800
    assert events_and_checkpoint(database.store) == (2800, 2800)


@pytest.mark.parametrize("logged", [0, 1000])
def test_an_invalid_line_leaves_nothing_written_by_a_bulk_import(
    database: Database, halves: tuple[Path, Path], tmp_path: Path, logged: int
) -> None:
    first, rest = halves
    if logged:
        run_import(database, first)
    before = rows(database.store), events_and_checkpoint(database.store)
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes((first if not logged else rest).read_bytes() + b'{"type": "Nonsense"}\n')
    with pytest.raises(ImportRejected):
        run_import(database, broken)
    assert (rows(database.store), events_and_checkpoint(database.store)) == before


def test_a_failure_while_projecting_in_bulk_leaves_nothing_written(
    database: Database, halves: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, rest = halves
    run_import(database, first)
    before = rows(database.store), events_and_checkpoint(database.store)

    def broken(*args: Any, **kwargs: Any) -> Iterator[Any]:
        yield from ()
        raise RuntimeError("disk full")

    monkeypatch.setattr(rebuild_module, "rows_of", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        run_import(database, rest)
    assert (rows(database.store), events_and_checkpoint(database.store)) == before


def test_a_reader_during_a_bulk_import_sees_the_old_log_with_the_old_read_models(
    database: Database, halves: tuple[Path, Path], db_url: str
) -> None:
    """A reader whose snapshot was taken before a bulk import commits (it has read the
    log, not yet the read models) reads the read models as they were with that log: on
    PostgreSQL a fresh table swapped in would be empty to it."""
    first, rest = halves
    run_import(database, first)
    before = rows(database.store)
    with database.store.reading() as reader:
        assert reader.count() == 1000  # the snapshot is taken
        run_import(database, rest)  # bulk: 1,800 ≥ 0.3 × 1,000
        found = reader.connection.execute(select(read_models))
        seen = {(r.owner, r.kind, r.seq): tuple(r) for r in found}
        assert reader.count() == 1000
    assert seen == before
    assert events_and_checkpoint(database.store) == (2800, 2800)
    assert rows(database.store) != before


def test_a_store_without_read_models_imports_in_bulk_without_them(db_url: str) -> None:
    """A store without an append hook keeps no read models (a schema from before them):
    a large import into it leaves them alone."""
    database = initialise(db_url)
    try:
        with database.engine.begin() as connection:
            connection.execute(text("DROP TABLE read_models"))
        store = EventStore(database.engine)
        import_files(store, [SAMPLE], on_rejection=print)
        with store.reading() as reader:
            assert reader.count() == 2800
    finally:
        database.close()


def test_a_bulk_import_reports_the_progress_of_deriving_its_read_models(
    database: Database, halves: tuple[Path, Path]
) -> None:
    """The read models derived at the end of a bulk import are reported as work of its
    own: ``on_projecting`` hears the log's length, and its progress reaches it."""
    first, _ = halves
    heard: list[int] = []
    advanced: list[int] = []

    def on_projecting(events: int) -> Any:
        heard.append(events)
        return advanced.append

    run_import(database, first, on_projecting=on_projecting)
    assert heard == [1000]
    assert sum(advanced) == 1000


def test_an_import_projected_batch_by_batch_reports_no_bulk_projection(
    database: Database, halves: tuple[Path, Path]
) -> None:
    """Ten lines onto a log of a thousand are projected as they are appended."""
    first, rest = halves
    run_import(database, first)
    small = first.with_name("small.jsonl")
    small.write_bytes(b"".join(rest.read_bytes().splitlines(keepends=True)[:10]))
    heard: list[int] = []

    def on_projecting(events: int) -> Any:
        heard.append(events)
        return lambda _n: None

    run_import(database, small, on_projecting=on_projecting)
    assert heard == []
    assert events_and_checkpoint(database.store) == (1010, 1010)


def test_the_ledger_is_freed_before_the_read_models_are_derived(
    database: Database, halves: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The streams the import's ledger holds are freed before the bulk projection's fold
    (its peak memory is the two together otherwise)."""
    ledgers: list[weakref.ref[importing.Ledger]] = []
    alive_at_rebuild: list[int] = []

    class Recorded(importing.Ledger):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            ledgers.append(weakref.ref(self))

    def rebuild_within(*args: Any, **kwargs: Any) -> tuple[int, int]:
        alive_at_rebuild.append(sum(ledger() is not None for ledger in ledgers))
        return real_rebuild_within(*args, **kwargs)

    real_rebuild_within = importing.rebuild_within
    monkeypatch.setattr(importing, "Ledger", Recorded)
    monkeypatch.setattr(importing, "rebuild_within", rebuild_within)
    run_import(database, halves[0])
    assert len(ledgers) == 1
    assert alive_at_rebuild == [0]
