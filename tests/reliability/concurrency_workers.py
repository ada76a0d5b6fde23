"""The processes of the concurrency test: writers that decide optimistically on a snapshot
and append under the lock (retrying on ConcurrencyError), and a catch-up reader that
follows the log by global position."""

from __future__ import annotations

import json
import random
import time
import traceback
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from coord.domain.ledger import Ledger
from coord.domain.log import Accepted
from coord.events import decode_event
from coord.projections.projector import Projector
from coord.store import ConcurrencyError, EventStore, create_engine_for

LONDON = ZoneInfo("Europe/London")
CASES = 60
HOT = 8  #: a quarter of all events go to the first HOT cases and transfers
OPENED = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)


def prelude() -> list[dict[str, Any]]:
    """Two sites, a protocol, a meeting and CASES cases, each with an open transfer."""
    at = OPENED.strftime("%Y-%m-%dT%H:%M:%SZ")
    events: list[dict[str, Any]] = [
        {
            "type": "SiteRegistered",
            "data": {"site_id": "S1", "name": "Hub", "specialist_for": ["prostate"]},
        },
        {
            "type": "SiteRegistered",
            "data": {"site_id": "S2", "name": "Spoke", "specialist_for": []},
        },
        {
            "type": "ProtocolPublished",
            "data": {
                "pathway": "prostate",
                "version": 1,
                "required_items": ["mri", "pathology_report"],
            },
        },
        {
            "type": "MeetingScheduled",
            "data": {
                "meeting_id": "M1",
                "pathway": "prostate",
                "host_site": "S1",
                "scheduled_for": "2026-06-01T09:00:00Z",
                "cutoff": "2026-05-29T17:00:00Z",
            },
        },
    ]
    for n in range(CASES):
        events += [
            {"type": "PatientRegistered", "data": {"patient_id": f"P{n}"}},
            {
                "type": "CaseListed",
                "data": {
                    "case_id": f"C{n}",
                    "patient_id": f"P{n}",
                    "meeting_id": "M1",
                    "pathway": "prostate",
                    "presenting_site": "S2",
                },
            },
            {
                "type": "TransferRequested",
                "data": {
                    "transfer_id": f"T{n}",
                    "patient_id": f"P{n}",
                    "item": "pathology_report",
                    "from_site": "S2",
                    "to_site": "S1",
                    "method": "iep",
                    "case_id": f"C{n}",
                },
            },
        ]
    return [{**e, "occurred_at": at} for e in events]


def _stream(rng: random.Random) -> int:
    return rng.randrange(HOT) if rng.random() < 0.25 else rng.randrange(CASES)


def _raw_event(rng: random.Random, writer: int, serial: int) -> dict[str, Any]:
    n = _stream(rng)
    occurred = (OPENED + timedelta(days=1, seconds=serial)).strftime("%Y-%m-%dT%H:%M:%SZ")
    if rng.random() < 0.5:
        data: dict[str, Any] = {"transfer_id": f"T{n}"}
        kind = "TransferChased"
    else:
        data = {"case_id": f"C{n}", "item": f"item-{writer}-{serial}"}
        kind = "ItemReceived"
    return {"type": kind, "occurred_at": occurred, "data": data}


def write(url: str, writer: int, count: int, seed: int, barrier: Any, results: Any) -> None:
    """Append ``count`` events in small batches to overlapping streams. Each batch is
    decided on a snapshot (no lock), then appended under the lock with the versions it
    was decided at: a stream moved by another writer meanwhile is a ConcurrencyError,
    and the batch is decided again. A conflict that does not name one of the batch's
    streams (two appends colliding on a position) is noted: with appends serialised by
    the lock it never happens, and a writer is refused only when its streams moved."""
    rng = random.Random(seed)
    store = EventStore(create_engine_for(url), Projector())
    appended: dict[str, int] = {}
    conflicts = 0
    unexplained: list[str] = []
    try:
        barrier.wait(timeout=120)
        serial = 0
        while serial < count:
            size = min(rng.randint(1, 4), count - serial)
            raws = [_raw_event(rng, writer, serial + i) for i in range(size)]
            while True:
                with store.reading() as reader:
                    ledger = Ledger(reader, time_zone=LONDON, now=datetime.now(UTC))
                    batch: list[Accepted] = []
                    for raw in raws:
                        decision = ledger.decide(decode_event(raw))
                        if not isinstance(decision, Accepted):
                            raise AssertionError(f"refused: {decision}")
                        ledger.accept(decision)
                        batch.append(decision)
                try:
                    with store.writing() as log:
                        last = log.last_recorded_at()
                        stamped = [_stamp(record, last) for record in batch]
                        log.append(stamped)
                    break
                except ConcurrencyError as conflict:
                    conflicts += 1
                    # a conflict must be real: a stream of this batch moved on
                    if conflict.stream not in {record.stream for record in batch}:
                        unexplained.append(str(conflict))
            for record in batch:
                appended[record.stream] = appended.get(record.stream, 0) + 1
            serial += size
        results.put(
            {
                "writer": writer,
                "appended": appended,
                "conflicts": conflicts,
                "unexplained": unexplained,
            }
        )
    except BaseException as error:
        results.put({"writer": writer, "error": "".join(traceback.format_exception(error))})
    finally:
        store.engine.dispose()


def _stamp(record: Accepted, last: datetime | None) -> Accepted:
    """``recorded_at`` never decreases along the log: stamp under the lock."""
    recorded = record.event.recorded_at
    assert recorded is not None
    if last is not None and last > recorded:
        return replace(record, event=record.event.recorded(last))
    return record


def follow(url: str, writers_done: Any, out: str, barrier: Any, results: Any) -> None:
    """Catch up with the log by position until the writers are done and nothing new
    arrives; note every position and id seen, and anything out of order."""
    store = EventStore(create_engine_for(url))
    last, last_hash = 0, None
    seen: list[tuple[int, str]] = []
    anomalies: list[str] = []
    polls = 0
    try:
        barrier.wait(timeout=120)
        while True:
            polls += 1
            finished = writers_done.is_set()  # before reading: then this poll sees all
            with store.reading() as reader:
                for stored in reader.read_all(after_position=last, batch_size=500):
                    if stored.position != last + 1:
                        anomalies.append(f"after {last} came {stored.position}")
                    if last_hash is not None and stored.prev_hash != last_hash:
                        anomalies.append(f"position {stored.position} does not link to {last}")
                    seen.append((stored.position, stored.event.event_id))
                    last, last_hash = stored.position, stored.hash
            if finished:
                break
            time.sleep(0.01)
        Path(out).write_text(json.dumps(seen))
        results.put({"reader": True, "anomalies": anomalies, "polls": polls, "last": last})
    except BaseException as error:
        results.put({"reader": True, "error": "".join(traceback.format_exception(error))})
    finally:
        store.engine.dispose()
