"""The pyeventsourcing baseline (the ``eventsourcing`` package, in the ``bench`` extra):
the same events saved through its application API, in batches of 1,000 and one per
transaction, on the same backend."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from sqlalchemy.engine import make_url


class Stream(Aggregate):
    """One coord stream as an eventsourcing aggregate: each coord event one of its events,
    the first one opening it."""

    class Opened(Aggregate.Created):
        type: str
        data: dict[str, Any]

    class Recorded(Aggregate.Event):
        type: str
        data: dict[str, Any]


@contextmanager
def eventsourcing_app(url: str) -> Iterator[Application]:
    """An ``eventsourcing`` Application persisting to the same backend as ``url``."""
    if url.startswith("sqlite"):
        settings = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(make_url(url).database),
        }
    else:
        parsed = make_url(url)
        settings = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": str(parsed.database),
            "POSTGRES_HOST": str(parsed.host),
            "POSTGRES_PORT": str(parsed.port or 5432),
            "POSTGRES_USER": str(parsed.username),
            "POSTGRES_PASSWORD": parsed.password or "",
        }
    os.environ.update(settings)
    app = Application()
    try:
        yield app
    finally:
        app.close()


def _aggregate_id(stream: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"coord:{stream}")


def _open(raw: dict[str, Any]) -> Stream:
    return Stream._create(
        Stream.Opened, id=_aggregate_id(raw["stream"]), type=raw["type"], data=raw["data"]
    )


def batched(url: str, raws: list[dict[str, Any]], batch: int = 1000) -> float:
    """Seconds to save the events through the application API, ``batch`` per save."""
    with eventsourcing_app(url) as app:
        aggregates: dict[str, Stream] = {}
        touched: dict[str, Stream] = {}
        began = time.perf_counter()
        for number, raw in enumerate(raws, 1):
            aggregate = aggregates.get(raw["stream"])
            if aggregate is None:
                aggregate = aggregates[raw["stream"]] = _open(raw)
            else:
                aggregate.trigger_event(Stream.Recorded, type=raw["type"], data=raw["data"])
            touched[raw["stream"]] = aggregate
            if number % batch == 0:
                app.save(*touched.values())
                touched = {}
        if touched:
            app.save(*touched.values())
        return time.perf_counter() - began


def one_by_one(url: str, raws: list[dict[str, Any]]) -> list[float]:
    """Seconds of each save of one event in its own transaction, its aggregate loaded
    from the store first (as coord loads the stream to decide)."""
    latencies = []
    with eventsourcing_app(url) as app:
        for raw in raws:
            began = time.perf_counter()
            try:
                aggregate = app.repository.get(_aggregate_id(raw["stream"]))
                aggregate.trigger_event(Stream.Recorded, type=raw["type"], data=raw["data"])
            except AggregateNotFoundError:
                aggregate = _open(raw)
            app.save(aggregate)
            latencies.append(time.perf_counter() - began)
    return latencies
