"""Property: the read models kept incrementally in every append transaction give the
same reports as `coord rebuild` and as a replay of the log (`--as-of` the end of time),
on SQLite and PostgreSQL — for realistic generated logs (late facts, retractions,
relistings) and for random, mostly invalid ones."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coord.app import importing
from coord.app.database import initialise
from coord.app.importing import import_files
from coord.app.reporting import build_gaps, build_report
from coord.demo.generator import generate
from coord.demo.network import load_network
from coord.events import Event, encode_event
from coord.projections.rebuild import rebuild
from coord.reports import REPORTS, Period, compute, compute_gaps
from event_strategies import LONDON, NOW, event_lists

WIDE = Period(date(2020, 1, 1), date(2030, 1, 1))
AFTER_EVERYTHING = datetime(2100, 1, 1, tzinfo=UTC)
SLOW: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "BATCH_SIZE", 5)


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


def check_read_models(url: str, log: Path, period: Period) -> None:
    database = initialise(url)
    try:
        import_files(
            database.store, [log], time_zone=LONDON, on_rejection=lambda _: None,
            skip_invalid=True, now=NOW if period is WIDE else AFTER_EVERYTHING,
        )  # fmt: skip
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
        rebuild(store)
        assert live() == replayed
    finally:
        database.close()


def write_log(folder: Path, events: list[Event]) -> Path:
    path = folder / "log.jsonl"
    path.write_bytes(b"".join(orjson.dumps(encode_event(e)) + b"\n" for e in events))
    return path


@settings(max_examples=15, **SLOW)  # type: ignore[arg-type]
@given(events=event_lists())
def test_random_logs(
    db_url_factory: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
    small_batches: None,
    events: list[Event],
) -> None:
    log = write_log(tmp_path_factory.mktemp("log"), events)
    check_read_models(db_url_factory(), log, WIDE)


@settings(max_examples=4, **SLOW)  # type: ignore[arg-type]
@given(seed=st.integers(1, 10**6))
def test_generated_network_logs(
    db_url_factory: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
    small_batches: None,
    seed: int,
) -> None:
    out = io.BytesIO()
    generate(load_network(), seed=seed, months=2, out=out, scale=0.05, start=date(2025, 3, 3))
    log = tmp_path_factory.mktemp("log") / "log.jsonl"
    log.write_bytes(out.getvalue())
    check_read_models(db_url_factory(), log, Period(date(2025, 3, 1), date(2025, 5, 1)))
