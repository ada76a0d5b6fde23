"""Appends from several OS processes: serialised, gap-free, one winner per version."""

from __future__ import annotations

import multiprocessing
import queue
from typing import Any

from store_helpers import at, site

from coord.store import ConcurrencyError, EventStore, verify


def _append_first_version(url: str, barrier: Any, results: Any) -> None:
    store = EventStore.from_url(url)
    try:
        with store.reading() as reader:
            version = reader.stream_version("site:S1")
        barrier.wait(timeout=60)  # both have read version 0; now race to append version 1
        with store.writing() as writer:
            writer.append([site("S1", version=version + 1)])
        results.put("ok")
    except ConcurrencyError:
        results.put("conflict")
    except Exception as error:  # reported to the test
        results.put(f"error: {error!r}")
    finally:
        store.engine.dispose()


def _append_many(url: str, worker: int, count: int, barrier: Any, results: Any) -> None:
    store = EventStore.from_url(url)
    try:
        barrier.wait(timeout=60)
        for i in range(count):
            with store.writing() as writer:
                stamp = max(at(0), writer.last_recorded_at() or at(0))
                writer.append([site(f"W{worker}", version=i + 1, recorded=stamp)])
        results.put("ok")
    except Exception as error:  # reported to the test
        results.put(f"error: {error!r}")
    finally:
        store.engine.dispose()


def _run(target: Any, args_for: list[tuple[Any, ...]]) -> list[str]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(args_for))
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(*args, barrier, results)) for args in args_for
    ]
    for process in processes:
        process.start()
    outcomes = []
    try:
        for _ in processes:
            outcomes.append(results.get(timeout=120))
    except queue.Empty:
        outcomes.append("timeout")
    for process in processes:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
    return outcomes


def test_two_processes_race_for_the_same_stream_version(store: EventStore, db_url: str) -> None:
    outcomes = _run(_append_first_version, [(db_url,), (db_url,)])
    assert sorted(outcomes) == ["conflict", "ok"]
    with store.reading() as reader:
        assert reader.count() == 1
        assert reader.stream_version("site:S1") == 1


def test_concurrent_writers_keep_the_chain_gap_free(store: EventStore, db_url: str) -> None:
    workers, count = 4, 15
    outcomes = _run(_append_many, [(db_url, w, count) for w in range(workers)])
    assert outcomes == ["ok"] * workers
    result = verify(store.engine)
    assert result.ok, result.problem
    assert result.events == workers * count
    assert result.head is not None and result.head.position == workers * count
