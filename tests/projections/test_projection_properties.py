"""Property: the read models kept incrementally in every append transaction give the
same reports as `coord rebuild` and as a replay of the log (`--as-of` the end of time),
on SQLite and PostgreSQL — for realistic generated logs (late facts, retractions,
relistings) and for random, mostly invalid ones. So do those of an import that projects
in bulk (into an empty log, and into a non-empty one after projecting its first batches
incrementally), and they equal a rebuild's column for column."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from coord.app import importing
from coord.app.database import initialise
from coord.app.importing import import_files
from coord.app.reporting import build_gaps, build_report
from coord.demo.generator import generate
from coord.demo.network import load_network
from coord.events import Event, encode_event
from coord.projections.rebuild import rebuild
from coord.reports import REPORTS, Period, compute, compute_gaps
from coord.store.readmodels import checkpoint
from event_strategies import NOW, event_lists

WIDE = Period(date(2020, 1, 1), date(2030, 1, 1))
AFTER_EVERYTHING = datetime(2100, 1, 1, tzinfo=UTC)
SLOW: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}


#: how the import keeps the read models: batch by batch (the projector) throughout; or in
#: bulk, the log imported in two files (the first into the empty log, projected in bulk
#: from its first batch; the second projected incrementally until it has appended
#: BULK_PROJECTION_RATIO of the log it found, then in bulk)
Projection = Literal["incremental", "bulk"]
PROJECTIONS: list[Projection] = ["incremental", "bulk"]


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "BATCH_SIZE", 5)


def import_log(
    store: Any, log: Path, projection: Projection, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = [log]
    if projection == "incremental":
        monkeypatch.setattr(importing, "BULK_PROJECTION_RATIO", math.inf)
    else:
        monkeypatch.setattr(importing, "BULK_PROJECTION_RATIO", 0.3)
        lines = log.read_bytes().splitlines(keepends=True)
        first, second = log.with_suffix(".1.jsonl"), log.with_suffix(".2.jsonl")
        first.write_bytes(b"".join(lines[: len(lines) // 3]))
        second.write_bytes(b"".join(lines[len(lines) // 3 :]))
        parts = [first, second]
    for part in parts:
        import_files(
            store, [part], on_rejection=lambda _: None,
            skip_invalid=True, now=now,
        )  # fmt: skip


def stored_read_models(store: Any) -> tuple[list[tuple[Any, ...]], int]:
    """Every read-model row, every column, in key order; and the checkpoint."""
    with store.reading() as reader:
        connection = reader.connection
        rows = connection.execute(text("SELECT * FROM read_models ORDER BY owner, kind, seq"))
        return [tuple(r) for r in rows], checkpoint(connection)


def figures(build: Callable[[str, str | None], Any], gaps: Callable[[], Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, definition in REPORTS.items():
        for by in definition.by_keys:
            document = build(name, by).model_dump(mode="json")
            document.pop("as_of")
            out[f"{name}/{by}"] = document
    document = gaps().model_dump(mode="json")
    document.pop("as_of")
    out["gaps"] = document
    return out


def check_read_models(
    url: str, log: Path, period: Period, projection: Projection, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = initialise(url)
    try:
        now = NOW if period is WIDE else AFTER_EVERYTHING
        import_log(database.store, log, projection, now, monkeypatch)
        store, zone = database.store, database.time_zone
        with store.reading() as reader:
            events = [s.event for s in reader.read_all()]

        def live() -> dict[str, Any]:
            return figures(
                lambda name, by: build_report(store, zone, name, period, by),
                lambda: build_gaps(store, zone, period),
            )

        replayed = figures(
            lambda name, by: compute(events, name, period, by, zone, as_of=AFTER_EVERYTHING),
            lambda: compute_gaps(events, period, zone, as_of=AFTER_EVERYTHING),
        )
        incremental = live()
        assert incremental == replayed
        imported = stored_read_models(store)
        rebuild(store)
        assert live() == replayed
        assert stored_read_models(store) == imported
    finally:
        database.close()


def write_log(folder: Path, events: list[Event]) -> Path:
    path = folder / "log.jsonl"
    path.write_bytes(b"".join(orjson.dumps(encode_event(e)) + b"\n" for e in events))
    return path


@pytest.mark.parametrize("projection", PROJECTIONS)
@settings(max_examples=15, **SLOW)  # type: ignore[arg-type]
@given(events=event_lists())
def test_random_logs(
    db_url_factory: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
    small_batches: None,
    monkeypatch: pytest.MonkeyPatch,
    projection: Projection,
    events: list[Event],
) -> None:
    log = write_log(tmp_path_factory.mktemp("log"), events)
    check_read_models(db_url_factory(), log, WIDE, projection, monkeypatch)


@pytest.mark.parametrize("projection", PROJECTIONS)
@settings(max_examples=4, **SLOW)  # type: ignore[arg-type]
@given(seed=st.integers(1, 10**6))
def test_generated_network_logs(
    db_url_factory: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
    small_batches: None,
    monkeypatch: pytest.MonkeyPatch,
    projection: Projection,
    seed: int,
) -> None:
    out = io.BytesIO()
    generate(load_network(), seed=seed, months=2, out=out, scale=0.05, start=date(2025, 3, 3))
    log = tmp_path_factory.mktemp("log") / "log.jsonl"
    log.write_bytes(out.getvalue())
    period = Period(date(2025, 3, 1), date(2025, 5, 1))
    check_read_models(db_url_factory(), log, period, projection, monkeypatch)
