"""The projector folds a subject it has not folded yet from its events as stored (their
data as the store keeps it, without decoding each into an event; an event of an older
schema version decoded, so upcast) and starts from the rows of its events before the
batch (what the read models hold): only the rows that differ are written. Property: a
later release's projector, folding stored events of an older schema version, keeps the
read models exactly what a rebuild computes, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from coord.app.importing import import_files
from coord.app.recording import record
from coord.events import DEFAULT_REGISTRY, decode_event
from coord.interop.jsonl import parse_line
from coord.projections import projector
from coord.projections.rebuild import rebuild
from coord.reports.fold import FactBuilder
from coord.store import readmodels

from .test_projector_incremental import _fail, assert_equals_rebuild, network_log, opened, rows
from .test_rebuild_fast_path import TransferRequestedV2


def test_a_later_release_folds_stored_events_of_an_older_version(
    db_url_factory: Callable[[], str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Half a log imported; then a release where ``TransferRequested`` is at version 2
    (its version 1 requests upcast to method "other"), the read models rebuilt, and the
    rest recorded one command at a time by a projector that has folded nothing yet:
    every transfer touched is folded from a stored version 1 request."""
    lines = network_log(5).splitlines()
    split = len(lines) // 2
    url = db_url_factory()
    path = tmp_path / "first-half.jsonl"
    path.write_bytes(b"\n".join(lines[:split]) + b"\n")
    with opened(url) as database:
        import_files(database.store, [path], on_rejection=_fail)
    monkeypatch.setitem(DEFAULT_REGISTRY._models["TransferRequested"], 2, TransferRequestedV2)
    monkeypatch.setitem(
        DEFAULT_REGISTRY._upcasters,
        ("TransferRequested", 1),
        lambda data: {**data, "method": "other", "purpose": "not recorded (v1)"},
    )
    monkeypatch.setattr(projector, "SUBJECT_LIMIT", 4)
    later = lines[split:]
    assert any(b'"TransferReceived"' in line for line in later)
    with opened(url) as database:
        rebuild(database.store)
        for line in later:
            event = decode_event(parse_line(line.decode()))
            record(database.store, event, now=event.recorded_at)
        with database.engine.connect() as connection:
            methods = connection.exec_driver_sql(
                "SELECT DISTINCT method FROM read_models WHERE kind = 'transfer'"
            ).all()
        assert methods == [("other",)]
        assert_equals_rebuild(database)


def _first_part_imported(url: str, tmp_path: Path) -> tuple[str, list[bytes], int]:
    """A database holding the first two thirds of a network's log (imported), the log's
    lines and where the rest begins."""
    lines = network_log(7).splitlines()
    split = len(lines) * 2 // 3
    path = tmp_path / "first-part.jsonl"
    path.write_bytes(b"\n".join(lines[:split]) + b"\n")
    with opened(url) as database:
        import_files(database.store, [path], on_rejection=_fail)
    return url, lines, split


def test_a_subject_first_folded_writes_only_its_changed_rows(
    db_url_factory: Callable[[], str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each command, recorded by a projector that has folded nothing yet (a unit of work
    per process, as the command line records them), writes only the rows it changes:
    never every row of the subjects it touches."""
    url, lines, split = _first_part_imported(db_url_factory(), tmp_path)
    written: list[Any] = []
    insert_rows = readmodels.insert_rows

    def counted(connection: Any, rows: Any, **options: Any) -> None:
        written.extend(rows)
        insert_rows(connection, rows, **options)

    monkeypatch.setattr(projector, "insert_rows", counted)
    changed = 0
    for line in lines[split : split + 60]:
        with opened(url) as database:
            before = {repr(row) for row in rows(database)}
            written.clear()
            event = decode_event(parse_line(line.decode()))
            record(database.store, event, now=event.recorded_at)
            after = {repr(row) for row in rows(database)}
            assert len(written) == len(after - before)
            changed += len(written)
    assert changed
    with opened(url) as database:
        assert_equals_rebuild(database)


def test_a_subject_first_folded_folds_each_stored_event_once(
    db_url_factory: Callable[[], str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A command's projector that has folded nothing yet folds each event of a subject it
    touches once: the fold of the events before the command (whose rows the read models
    hold) goes on with the command's event, rather than all of them being folded again
    (a command's largest cost of the projector, after writing rows). The read models
    stay what a rebuild computes."""
    url, lines, split = _first_part_imported(db_url_factory(), tmp_path)
    folded: list[int] = []
    apply_stored = FactBuilder.apply_stored

    def counted(builder: FactBuilder, *arguments: Any) -> None:
        folded.append(arguments[-1])  # the event's position
        apply_stored(builder, *arguments)

    monkeypatch.setattr(FactBuilder, "apply_stored", counted)
    loaded = 0
    for line in lines[split : split + 60]:
        with opened(url) as database:  # a projector that has folded nothing
            folded.clear()
            event = decode_event(parse_line(line.decode()))
            record(database.store, event, now=event.recorded_at)
            projected = database.store.on_append
            assert isinstance(projected, projector.Projector)
            with database.engine.connect() as connection:
                stream_of = dict(
                    connection.exec_driver_sql("SELECT position, stream FROM events").all()
                )
            for position, times in Counter(folded).items():
                # once into each subject whose fold reads its stream (a transfer's event
                # into the transfer's and its case's), all folded by this command
                subjects = projected._subjects.values()
                assert times <= sum(stream_of[position] in s.streams for s in subjects)
            loaded += bool(folded)
    assert loaded > 10
    with opened(url) as database:
        assert_equals_rebuild(database)


def test_a_changed_row_keeps_its_place_on_sqlite(
    db_url_factory: Callable[[], str], tmp_path: Path
) -> None:
    """A row a command changes but whose key stays is updated where it is on SQLite (its
    rowid kept): deleting and inserting it again moved it to the table's end and rewrote
    its key's index entry, about one written page in 14 of a command. PostgreSQL deletes
    and inserts it (an update writes a new version of the row there anyway). Either way
    the read models stay what a rebuild computes."""
    url, lines, split = _first_part_imported(db_url_factory(), tmp_path)
    sqlite = url.startswith("sqlite")
    place = "rowid" if sqlite else "NULL"

    def rows_by_key(database: Any) -> dict[tuple[str, str, int], tuple[Any, str]]:
        """Each row's (rowid on SQLite, payload as text), by its key."""
        with database.engine.connect() as connection:
            found = connection.exec_driver_sql(
                f"SELECT owner, kind, seq, {place}, CAST(payload AS TEXT) FROM read_models"
            )
            return {(owner, kind, seq): (at, payload) for owner, kind, seq, at, payload in found}

    changed = 0
    with opened(url) as database:
        for line in lines[split : split + 80]:
            before = rows_by_key(database)
            event = decode_event(parse_line(line.decode()))
            record(database.store, event, now=event.recorded_at)
            after = rows_by_key(database)
            for key in before.keys() & after.keys():
                if after[key][1] != before[key][1]:
                    changed += 1
                    assert after[key][0] == before[key][0]  # SQLite: the same rowid
        assert changed
        assert_equals_rebuild(database)
