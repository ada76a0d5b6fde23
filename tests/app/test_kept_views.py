"""A store keeps the rules' stream views between its commands (``record``), and uses them
only while the log's head is the one they hold: whatever else appended in between (a
second store on the same database, an import, a rolled-back append) is seen by the
rules. Recording through a store that keeps its views must decide exactly as through
fresh stores, and write the same log (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event, select

from coord.app.database import Database, initialise
from coord.app.importing import import_files
from coord.app.recording import EventRejected, record
from coord.domain.log import Accepted
from coord.events import Event, decode_event, encode_event
from coord.projections.projector import Projector
from coord.store import EventStore
from coord.store import log as store_log
from coord.store.schema import events
from event_strategies import NOW, event_lists

SLOW: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}
AT = datetime(2025, 3, 2, 12, 0, tzinfo=UTC)


def _event(kind: str, occurred: str, **data: Any) -> Event:
    return decode_event({"type": kind, "occurred_at": occurred, "data": data})


def _site(site_id: str) -> Event:
    return _event(
        "SiteRegistered", "2025-03-01T08:00:00Z", site_id=site_id, name="n", specialist_for=[]
    )


def _meeting(meeting_id: str, host: str) -> Event:
    return _event(
        "MeetingScheduled", "2025-03-01T09:00:00Z", meeting_id=meeting_id, pathway="bladder",
        host_site=host, scheduled_for="2025-03-09T12:00:00Z", cutoff="2025-03-07T12:00:00Z",
    )  # fmt: skip


def _retraction(target: Event) -> Event:
    data = {"event_id": target.event_id, "reason": "entered in error"}
    return decode_event(
        {"type": "EventRetracted", "occurred_at": "2025-03-01T10:00:00Z", "data": data}
    )


def _outcome(store: EventStore, command: Event, now: datetime) -> tuple[Any, ...]:
    """What recording ``command`` decided, in a form to compare."""
    try:
        decision = record(store, command, now=now)
    except EventRejected as rejected:
        return ("rejected", rejected.reason)
    if isinstance(decision, Accepted):
        return (
            "accepted", decision.stream, decision.version, decision.references,
            orjson.dumps(encode_event(decision.event)),
        )  # fmt: skip
    return ("duplicate", decision.event_id)


def _log(engine: Engine) -> list[tuple[Any, ...]]:
    """Every stored event's place and hash (by the hash chain, its content and all
    before it)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(events.c.position, events.c.stream, events.c.version, events.c.hash)
            .order_by(events.c.position)
        )  # fmt: skip
        return [tuple(row) for row in rows]


@contextmanager
def _opened(url: str) -> Iterator[Database]:
    database = initialise(url)
    try:
        yield database
    finally:
        database.close()


@contextmanager
def _store(database: Database) -> Iterator[EventStore]:
    """Another store on the same database (as another process would open it)."""
    store = EventStore(database.engine, Projector())
    try:
        yield store
    finally:
        store.close()


@settings(max_examples=25, **SLOW)  # type: ignore[arg-type]
@given(
    commands=event_lists(),
    writers=st.lists(st.sampled_from([0, 0, 1]), min_size=1, max_size=8),
    kept=st.sampled_from([1, 3, store_log.KEPT_STREAMS]),
)
def test_kept_views_decide_as_fresh_stores_do(
    db_url_factory: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
    commands: list[Event],
    writers: list[int],
    kept: int,
) -> None:
    """Random, mostly invalid commands (rejections, duplicates, retractions) recorded one
    by one: through a store that keeps its views (at most ``kept`` streams), with a
    second store on the same database recording some of them in between (``writers``:
    1), and each through a fresh store on another database. The same decisions, and the
    same log."""
    monkeypatch.setattr(store_log, "KEPT_STREAMS", kept)
    with _opened(db_url_factory()) as fresh, _opened(db_url_factory()) as kept_db:
        with _store(kept_db) as second:
            for index, command in enumerate(commands):
                with _store(fresh) as once:
                    expected = _outcome(once, command, NOW)
                through = second if writers[index % len(writers)] else kept_db.store
                assert _outcome(through, command, NOW) == expected, command
        assert _log(kept_db.engine) == _log(fresh.engine)


def test_another_store_appending_in_between_is_seen_by_the_rules(database: Database) -> None:
    """The meeting is refused while its host site is not registered (the store keeps the
    site's empty view); another store on the same database registers the site; the
    same meeting is then accepted. Without the head's check, the kept view would refuse
    it again."""
    store = database.store
    meeting = _meeting("M1", host="S2")
    with pytest.raises(EventRejected, match="S2 is not a registered site"):
        record(store, meeting, now=AT)
    with _store(database) as other:
        record(other, _site("S2"), now=AT)
    assert isinstance(record(store, meeting, now=AT), Accepted)


def test_an_import_through_the_same_store_is_seen_by_the_rules(
    database: Database, tmp_path: Path
) -> None:
    store = database.store
    meeting = _meeting("M1", host="S2")
    with pytest.raises(EventRejected, match="S2 is not a registered site"):
        record(store, meeting, now=AT)
    line = tmp_path / "site.jsonl"
    line.write_bytes(orjson.dumps(encode_event(_site("S2"))) + b"\n")
    import_files(store, [line], on_rejection=lambda _: None, now=AT)
    assert isinstance(record(store, meeting, now=AT), Accepted)


def test_a_rolled_back_append_is_not_in_the_kept_views(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The projector fails after the site's event was appended (and folded into the
    views): the unit of work rolls back, so the site is not registered, and a meeting it
    hosts is refused; registering it again is accepted."""
    store = database.store
    record(store, _site("S1"), now=AT)
    site = _site("S2")
    projector = store.on_append
    assert projector is not None

    def failing(*arguments: Any) -> None:
        raise RuntimeError("the read models could not be written")

    monkeypatch.setattr(store, "on_append", failing)
    with pytest.raises(RuntimeError):
        record(store, site, now=AT)
    monkeypatch.setattr(store, "on_append", projector)
    with pytest.raises(EventRejected, match="S2 is not a registered site"):
        record(store, _meeting("M1", host="S2"), now=AT)
    assert isinstance(record(store, site, now=AT), Accepted)
    assert isinstance(record(store, _meeting("M1", host="S2"), now=AT), Accepted)


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    """The statements run meanwhile (SQLAlchemy's and the driver's, as announced)."""
    seen: list[str] = []

    def on_statement(_c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)


def test_retracting_the_event_just_recorded_reads_no_stream(database: Database) -> None:
    """A retraction's stream is known only once its target is found, so the prefetch
    leaves it out and the rules read it in a query of their own; the store's kept view
    of the stream spares that query. Measured against a retraction after another store
    appended (the kept views are then dropped)."""
    store = database.store
    first, second = _site("S1"), _site("S2")
    record(store, first, now=AT)
    with _store(database) as other:
        record(other, _site("S3"), now=AT)
    with _statements(database.engine) as dropped:
        record(store, _retraction(first), now=AT)
    record(store, second, now=AT)
    with _statements(database.engine) as kept:
        record(store, _retraction(second), now=AT)
    assert len(kept) == len(dropped) - 1


def test_a_second_command_on_the_same_streams_reads_none_of_their_events(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The prefetch of a command whose streams the store keeps views of reads the head
    and its event's id only."""
    store = database.store
    read: list[int] = []
    wanted_rows = store_log.Writer._wanted_rows

    def counted(writer: store_log.Writer, *arguments: Any) -> list[Any]:
        rows = list(wanted_rows(writer, *arguments))
        read.append(sum(1 for row in rows if row[0] == store_log._BY_STREAM))
        return rows

    monkeypatch.setattr(store_log.Writer, "_wanted_rows", counted)
    for site in ("S1", "S2"):
        record(store, _site(site), now=AT)
    record(store, _meeting("M1", host="S1"), now=AT)
    record(store, _meeting("M2", host="S2"), now=AT)
    read.clear()
    attendance = _event(
        "AttendanceRecorded", "2025-03-09T12:00:00Z", meeting_id="M1", attendee_id="a",
        site="S1", professional_group="surgeon",
    )  # fmt: skip
    record(store, attendance, now=AT)
    assert read == [0]  # meeting:M1 and site:S1 as kept
