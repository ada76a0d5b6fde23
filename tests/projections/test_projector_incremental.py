"""The projector folds appended events into the subjects they touch and writes only the
rows that changed. Property: after any sequence of imports and commands, the read
models hold exactly — row for row, every column — what `coord rebuild` computes from
the whole log (the gaps query's rows among them), whatever the batch size and however few subjects the projector keeps
folded (so that subjects are dropped and folded again from the store), on SQLite and
PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from coord.app import importing
from coord.app.database import Database, initialise
from coord.app.importing import import_files
from coord.app.recording import EventRejected, record
from coord.demo.generator import generate
from coord.demo.network import load_network
from coord.events import Event, decode_event
from coord.interop.jsonl import parse_line
from coord.projections import projector
from coord.projections.rebuild import rebuild
from coord.store.schema import read_models
from event_strategies import NOW, event_lists

from .test_projection_properties import write_log

SLOW: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}


def rows(database: Database) -> list[tuple[Any, ...]]:
    """Every read-model row, every column, in key order."""
    with database.engine.connect() as connection:
        found = connection.execute(
            select(read_models).order_by(read_models.c.owner, read_models.c.kind, read_models.c.seq)
        ).all()
    return [tuple(row) for row in found]


@contextmanager
def opened(url: str) -> Iterator[Database]:
    database = initialise(url)
    try:
        yield database
    finally:
        database.close()


def assert_equals_rebuild(database: Database) -> None:
    incremental = rows(database)
    assert incremental, "the log should have given read-model rows"
    rebuild(database.store)
    assert rows(database) == incremental


def network_log(seed: int) -> bytes:
    out = io.BytesIO()
    generate(load_network(), seed=seed, months=2, out=out, scale=0.05, start=date(2025, 3, 3))
    return out.getvalue()


@settings(max_examples=4, **SLOW)  # type: ignore[arg-type]
@given(
    seed=st.integers(1, 10**6),
    batch=st.sampled_from([1, 7, 64, 1000]),
    kept=st.sampled_from([1, 5, projector.SUBJECT_LIMIT]),
    parts=st.integers(1, 3),
)
def test_imports_in_parts_equal_a_rebuild(
    db_url_factory: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    batch: int,
    kept: int,
    parts: int,
) -> None:
    """A generated network (late facts, retractions, relistings) imported in ``parts``
    files, each its own unit of work, ``batch`` lines at a time, keeping ``kept``
    subjects folded."""
    monkeypatch.setattr(importing, "BATCH_SIZE", batch)
    monkeypatch.setattr(projector, "SUBJECT_LIMIT", kept)
    lines = network_log(seed).splitlines(keepends=True)
    assume(any(b'"EventRetracted"' in line for line in lines))  # most seeds have some
    folder = tmp_path_factory.mktemp("log")
    files = []
    for part in range(parts):
        path = folder / f"part{part}.jsonl"
        path.write_bytes(b"".join(lines[_slice(part, parts, len(lines))]))
        files.append(path)
    with opened(db_url_factory()) as database:
        for path in files:
            import_files(database.store, [path], on_rejection=_fail)
        assert any(row[0] == "gap" for row in rows(database)), "gap rows to compare"
        assert_equals_rebuild(database)


def _slice(part: int, parts: int, count: int) -> slice:
    size = -(-count // parts)
    return slice(part * size, (part + 1) * size)


def _fail(rejection: object) -> None:
    raise AssertionError(f"a generated line was rejected: {rejection}")


@settings(max_examples=10, **SLOW)  # type: ignore[arg-type]
@given(events=event_lists(), kept=st.sampled_from([1, 3, projector.SUBJECT_LIMIT]))
def test_random_logs_equal_a_rebuild(
    db_url_factory: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    events: list[Event],
    kept: int,
) -> None:
    """Random, mostly invalid logs (the valid lines are kept), 3 lines at a time."""
    monkeypatch.setattr(importing, "BATCH_SIZE", 3)
    monkeypatch.setattr(projector, "SUBJECT_LIMIT", kept)
    log = write_log(tmp_path_factory.mktemp("log"), events)
    with opened(db_url_factory()) as database:
        import_files(
            database.store, [log], on_rejection=lambda _: None,
            skip_invalid=True, now=NOW,
        )  # fmt: skip
        if rows(database):
            assert_equals_rebuild(database)


def test_commands_one_at_a_time_equal_a_rebuild(
    db_url_factory: Callable[[], str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each event recorded as a command of its own (a unit of work per event, as the
    terminal UI records them), with the projector keeping few subjects."""
    monkeypatch.setattr(projector, "SUBJECT_LIMIT", 4)
    lines = network_log(7).splitlines()
    with opened(db_url_factory()) as database:
        split = len(lines) * 2 // 3
        path = tmp_path / "first-part.jsonl"
        path.write_bytes(b"\n".join(lines[:split]) + b"\n")
        import_files(database.store, [path], on_rejection=_fail)
        for line in lines[split:]:
            event = decode_event(parse_line(line.decode()))
            try:
                record(database.store, event, now=event.recorded_at)
            except EventRejected as error:  # pragma: no cover - the generator's log is valid
                raise AssertionError(error.reason) from error
        assert any(row[0] == "gap" for row in rows(database)), "gap rows to compare"
        assert_equals_rebuild(database)


def test_a_store_appended_to_by_another_writer_is_folded_again(
    db_url_factory: Callable[[], str], tmp_path: Path
) -> None:
    """Two processes' stores on one database take turns recording events of the same
    subjects, and one's import is rolled back: each projector keeps its folds across
    its own units of work only while the log is the one it last projected."""
    url = db_url_factory()
    lines = network_log(11).splitlines()
    split = len(lines) // 2
    with opened(url) as first, opened(url) as second:
        path = tmp_path / "first-half.jsonl"
        path.write_bytes(b"\n".join(lines[:split]) + b"\n")
        import_files(first.store, [path], on_rejection=_fail)
        rejected = tmp_path / "rolled-back.jsonl"
        rejected.write_bytes(b"\n".join(lines[split : split + 40]) + b"\n{}\n")
        with pytest.raises(importing.ImportRejected):
            import_files(first.store, [rejected], on_rejection=lambda _: None)
        for number, line in enumerate(lines[split:]):
            event = decode_event(parse_line(line.decode()))
            store = (first if number % 3 else second).store
            record(store, event, now=event.recorded_at)
        assert_equals_rebuild(first)
