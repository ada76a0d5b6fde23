"""The projector and read models another process rebuilt, or left stale until rebuilt:
a long-lived store (the terminal UI's) keeps its folds across units of work, and
``coord init`` removes the checkpoint when a migration or a new time zone makes the rows
stale, then rebuilds them in a transaction of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from sqlalchemy import delete

from coord.app import importing
from coord.app.database import Database, initialise, read_models_behind
from coord.app.importing import import_files
from coord.app.recording import EventRejected, record
from coord.events import decode_event
from coord.interop.jsonl import parse_line
from coord.projections.rebuild import rebuild
from coord.store import EventStore
from coord.store.migrate import upgrade
from coord.store.readmodels import CHECKPOINT
from coord.store.schema import projection_checkpoints

from .test_projector_incremental import _fail, assert_equals_rebuild, network_log, opened

#: far from London's: most referrals' day counts differ
OTHER_ZONE = "Pacific/Auckland"


def _record(
    database: Database | EventStore, lines: Iterable[bytes], *, in_another_zone: bool = False
) -> None:
    """Record ``lines`` one command at a time. The log was made in London's zone: in
    another (``in_another_zone``) the rules refuse some of them (a discussion not on its
    meeting's local day, and what follows from it); those are left out, and most must
    still be recorded."""
    store = database if isinstance(database, EventStore) else database.store
    recorded = refused = 0
    for line in lines:
        event = decode_event(parse_line(line.decode()))
        try:
            record(store, event, now=event.recorded_at)
            recorded += 1
        except EventRejected:
            if not in_another_zone:
                raise
            refused += 1
    assert recorded > refused


def _started(database: Database, tmp_path: Path) -> list[bytes]:
    """Half a generated network imported, a quarter recorded as commands (the
    projector keeps their subjects folded); returns the quarter left."""
    lines = network_log(11).splitlines()
    half, three_quarters = len(lines) // 2, len(lines) * 3 // 4
    path = tmp_path / "half.jsonl"
    path.write_bytes(b"\n".join(lines[:half]) + b"\n")
    import_files(database.store, [path], on_rejection=_fail)
    _record(database, lines[half:three_quarters])
    return lines[three_quarters:]


@pytest.mark.parametrize("change", ["time zone", "rebuild", "import"])
def test_commands_after_another_process_rebuilt_the_read_models_equal_a_rebuild(
    db_url_factory: Callable[[], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: str,
) -> None:
    """``coord init --tz`` (the rows rebuilt in the new zone), ``coord rebuild`` or an
    import deriving the read models in bulk (in its own transaction, after its appends)
    by another process, between two commands of a long-lived store."""
    url = db_url_factory()
    with opened(url) as first:
        rest = _started(first, tmp_path)
        if change == "time zone":
            initialise(url, OTHER_ZONE).close()
        elif change == "rebuild":
            with opened(url) as second:
                rebuild(second.store)
        else:
            monkeypatch.setattr(importing, "BULK_PROJECTION_RATIO", 0)
            path = tmp_path / "more.jsonl"
            path.write_bytes(b"\n".join(rest[:40]) + b"\n")
            with opened(url) as second:
                import_files(second.store, [path], on_rejection=_fail)
            rest = rest[40:]
        _record(first, rest, in_another_zone=change == "time zone")
        assert_equals_rebuild(first)


@pytest.mark.parametrize("stale", ["time zone", "migration"])
def test_a_command_before_the_rebuild_of_stale_read_models_leaves_them_behind(
    db_url_factory: Callable[[], str], tmp_path: Path, stale: str
) -> None:
    """Another process's ``coord init`` has committed a new time zone (or a migration
    that changes the rows) and not yet its rebuild: a command then must not mark the
    stale rows current, so that ``coord init`` still finds them behind and rebuilds
    them."""
    url = db_url_factory()
    with opened(url) as first:
        rest = _started(first, tmp_path)
        if stale == "time zone":
            upgrade(first.engine, OTHER_ZONE)
        else:  # as migrations 0003 and 0005 do
            with first.engine.begin() as connection:
                connection.execute(
                    delete(projection_checkpoints).where(
                        projection_checkpoints.c.name == CHECKPOINT
                    )
                )
        _record(first, rest[:20], in_another_zone=stale == "time zone")
        assert read_models_behind(first)
        initialise(url).close()  # finds them behind: rebuilds them
        assert not read_models_behind(first)
        _record(first, rest[20:], in_another_zone=stale == "time zone")
        assert_equals_rebuild(first)


def test_an_append_after_one_without_projections_leaves_the_read_models_behind(
    db_url_factory: Callable[[], str], tmp_path: Path
) -> None:
    """A store without the projector appends (its events are in no read model): the
    next projected command must not mark the read models current."""
    url = db_url_factory()
    with opened(url) as first:
        rest = _started(first, tmp_path)
        _record(EventStore(first.engine), rest[:5])
        _record(first, rest[5:10])
        assert read_models_behind(first)
        rebuild(first.store)
        _record(first, rest[10:])
        assert_equals_rebuild(first)
