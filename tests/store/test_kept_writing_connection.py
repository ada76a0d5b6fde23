"""On a SQLite file a store keeps each thread's writing connection open between its units
of work (taking one from the engine's pool and giving it back cost a command several
times SQLite's own ``BEGIN IMMEDIATE`` and ``COMMIT``); on PostgreSQL each unit of work
takes one from the pool, as before. Either way a unit of work commits or rolls back
whole, a failed one leaves the next one working, a unit of work begun inside another
gets a connection of its own, and :meth:`EventStore.close` gives every connection
back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event
from store_helpers import at, site

from coord.store import EventStore, StoreBusy, create_engine_for, upgrade
from coord.store import engine as store_engine
from coord.store import log as store_log


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_engine_for(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _checkouts(engine: Engine) -> list[object]:
    """The DBAPI connections taken from the engine's pool, one entry per checkout."""
    taken: list[object] = []

    def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        taken.append(dbapi_connection)

    event.listen(engine, "checkout", checkout)
    return taken


def test_units_of_work_of_one_thread_share_a_kept_connection_on_sqlite(engine: Engine) -> None:
    store = EventStore(engine)
    taken = _checkouts(engine)
    try:
        for n in range(4):
            with store.writing() as writer:
                writer.append([site(f"S{n}", recorded=at(n))])
        sqlite = engine.dialect.name == "sqlite"
        assert len(taken) == (1 if sqlite else 4)
        assert engine.pool.checkedout() == (1 if sqlite else 0)  # type: ignore[attr-defined]
        with store.reading() as reader:
            assert reader.count() == 4
    finally:
        store.close()
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_failed_unit_of_work_rolls_back_and_the_next_one_works(engine: Engine) -> None:
    store = EventStore(engine)
    try:
        with pytest.raises(RuntimeError), store.writing() as writer:
            writer.append([site("S1", recorded=at(1))])
            raise RuntimeError("the command failed after its append")
        with store.writing() as writer:
            assert writer.head() is None  # nothing of the failed one was kept
            writer.append([site("S1", recorded=at(1))])
        with store.reading() as reader:
            assert reader.count() == 1
    finally:
        store.close()


def test_a_unit_of_work_inside_another_gets_its_own_connection(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It waits for the outer one's write lock as any other writer would (here: busy at
    once), instead of beginning a transaction on the connection already in one."""
    monkeypatch.setattr(store_engine, "BUSY_TIMEOUT_SECONDS", 0)
    monkeypatch.setattr(store_log, "LOCK_TIMEOUT", "10ms")
    engine = create_engine_for(db_url)
    upgrade(engine)
    store = EventStore(engine)
    try:
        with store.writing() as outer:
            outer.append([site("S1", recorded=at(1))])
            with pytest.raises(StoreBusy), store.writing() as inner:
                inner.append([site("S2", recorded=at(2))])
        with store.reading() as reader:
            assert reader.count() == 1
    finally:
        store.close()
        engine.dispose()


def test_each_thread_writes_on_a_connection_of_its_own(engine: Engine) -> None:
    store = EventStore(engine)
    taken = _checkouts(engine)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for k in range(3):
                with store.writing() as writer:
                    writer.append([site(f"S{n}-{k}", recorded=at(n * 10 + k))])
        except BaseException as error:  # reported below
            failures.append(error)

    try:
        for n in range(2):  # one after the other: the log's recorded_at never decreases
            thread = threading.Thread(target=write, args=(n,))
            thread.start()
            thread.join()
        assert not failures
        assert len(taken) == (2 if engine.dialect.name == "sqlite" else 6)
        with store.reading() as reader:
            assert reader.count() == 6
    finally:
        store.close()
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_thread_that_has_ended_gives_its_kept_connection_back(engine: Engine) -> None:
    """The TUI checks and saves each form on a worker thread of its own: a long session
    must not keep one open connection (and its files) per thread it ever ran."""
    store = EventStore(engine)

    def write(n: int) -> None:
        with store.writing() as writer:
            writer.append([site(f"S{n}", recorded=at(n))])

    try:
        for n in range(6):
            thread = threading.Thread(target=write, args=(n,))
            thread.start()
            thread.join()
        # the last thread's connection is kept until the next thread's unit of work
        assert engine.pool.checkedout() <= 1  # type: ignore[attr-defined]
        with store.reading() as reader:
            assert reader.count() == 6
    finally:
        store.close()
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
