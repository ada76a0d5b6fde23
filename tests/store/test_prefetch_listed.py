"""SQLite: a command's prefetch lists its few ids and streams as parameters of their own
(``IN (?, ?)``) instead of the JSON arrays an import's batch gives (``IN (SELECT value
FROM json_each(?))``), which SQLite made a table of first: both texts must answer with
the same rows, in the same order, for any lists up to the listed length."""

from __future__ import annotations

import orjson
import pytest
from store_helpers import at, patient, retraction, site

from coord.store import EventStore
from coord.store import log as store_log
from coord.store.engine import driver_rows

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@sqlite_only
def test_listed_ids_and_streams_give_the_rows_of_the_json_arrays(store: EventStore) -> None:
    records = [site(f"S{n}", recorded=at(n)) for n in range(4)]
    records += [patient(f"P{n}", f"S{n}", recorded=at(10 + n)) for n in range(3)]
    records.append(retraction(records[-1], version=2, recorded=at(20)))
    with store.writing() as writer:
        writer.append(records)
    ids = [r.event.event_id for r in records]
    streams = list(dict.fromkeys(r.stream for r in records))
    cases = [
        ([], []),
        (ids[:1], []),
        ([], streams[:1]),
        ([*ids[:2], "00000000-0000-4000-8000-000000000000"], [*streams[-3:], "site:nowhere"]),
        (ids[: store_log.LISTED], streams[: store_log.LISTED]),
        ([ids[0], ids[0]], [streams[0], streams[0]]),  # the same twice: each row once
    ]
    with store.writing() as writer:
        connection = writer.connection
        for wanted_ids, wanted_streams in cases:
            for head in (False, True):
                listed = driver_rows(
                    connection,
                    store_log._sqlite_listed(len(wanted_ids), len(wanted_streams), head),
                    (*wanted_ids, *wanted_streams),
                )
                arrays = driver_rows(
                    connection,
                    store_log._SQLITE_WANTED_QUERIES[head],
                    (orjson.dumps(wanted_ids).decode(), orjson.dumps(wanted_streams).decode()),
                )
                assert listed == arrays
                assert len(arrays) >= len(set(wanted_ids) & set(ids)) + head
