"""Tamper evidence (issue 6, item 4): a row altered, deleted, inserted or reordered behind
coord's back (triggers disabled) is reported by `coord verify` with its position; a
history rewritten with every hash recomputed passes the chain but not `--expect-head`.
And the triggers themselves refuse UPDATE, DELETE (and TRUNCATE) through coord's engine."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Connection, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from coord.store import GENESIS_HASH, create_engine_for
from coord.store.chain import row_hash
from coord.store.schema import APPEND_ONLY_MESSAGE, events

from .helpers import coord, forger, generated_log, generated_log_bytes


def _generated_events() -> int:
    out = generated_log_bytes()
    return out.count(b"\n")


EVENTS = _generated_events()  # the generated log below


@pytest.fixture
def db(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """A database holding a generated log of the fictional network."""
    log = generated_log(tmp_path / "log.jsonl")
    assert coord(capsys, "init", "--db", db_url)[0] == 0
    status, out, err = coord(capsys, "import", "--db", db_url, str(log))
    assert status == 0, err
    assert out.strip() == f"imported {EVENTS}, duplicates 0"
    return db_url


def verify_fails_at(capsys: pytest.CaptureFixture[str], db: str, position: int) -> str:
    status, out, err = coord(capsys, "verify", "--db", db)
    assert status == 1, out
    assert f"event at position {position}" in err, err
    assert "Traceback" not in err
    return err


def row_at(connection: Connection, position: int) -> Any:
    return connection.execute(select(events).where(events.c.position == position)).one()


def values_of(row: Any, **changes: Any) -> dict[str, Any]:
    return {**row._asdict(), **changes}


def rechain(connection: Connection, start: int = 1) -> None:
    """Recompute prev_hash and hash of every row from ``start`` on, as a forger would."""
    prev = GENESIS_HASH if start == 1 else row_at(connection, start - 1).hash
    rows = connection.execute(
        select(events).where(events.c.position >= start).order_by(events.c.position)
    ).all()
    for row in rows:
        digest = row_hash(SimpleNamespace(**values_of(row, prev_hash=prev)), prev)
        connection.execute(
            update(events)
            .where(events.c.position == row.position)
            .values(prev_hash=prev, hash=digest)
        )
        prev = digest


def test_an_altered_row_is_reported_with_its_position(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with forger(db) as connection:
        row = row_at(connection, 500)
        connection.execute(
            update(events)
            .where(events.c.position == 500)
            .values(data={**row.data, "site_id": "S99"} if "site_id" in row.data else {})
        )
    err = verify_fails_at(capsys, db, 500)
    assert row.event_id in err and "altered" in err


def test_an_altered_time_is_reported(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with forger(db) as connection:
        row = row_at(connection, 700)
        connection.execute(
            update(events)
            .where(events.c.position == 700)
            .values(occurred_at=row.occurred_at.replace(year=2024))
        )
    verify_fails_at(capsys, db, 700)


def test_a_deleted_row_is_reported_with_its_position(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with forger(db) as connection:
        connection.execute(delete(events).where(events.c.position == 321))
    err = verify_fails_at(capsys, db, 321)
    assert "deleted" in err


def test_a_deleted_last_row_is_caught_by_the_kept_head(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, head, _ = coord(capsys, "verify", "--db", db, "--head")
    assert status == 0
    with forger(db) as connection:
        connection.execute(delete(events).where(events.c.position == EVENTS))
    # the chain alone cannot tell a cut-short log from a shorter one ...
    assert coord(capsys, "verify", "--db", db)[0] == 0
    # ... the head kept outside the database can
    status, _, err = coord(capsys, "verify", "--db", db, "--expect-head", head.strip())
    assert status == 1
    assert f"event at position {EVENTS}:" in err and "removed" in err


def _shift_up_from(connection: Connection, position: int) -> None:
    """Make room at ``position`` by moving every later row one place up."""
    rows = connection.execute(
        select(events).where(events.c.position >= position).order_by(events.c.position.desc())
    ).all()
    for row in rows:
        connection.execute(delete(events).where(events.c.position == row.position))
        connection.execute(insert(events).values(values_of(row, position=row.position + 1)))


def _forged_row(connection: Connection, position: int, template: int) -> dict[str, Any]:
    row = row_at(connection, template)
    forged = values_of(row, position=position, event_id="00000000-0000-4000-8000-00000000f0f0")
    forged["version"] = 999
    return forged


def test_a_row_inserted_in_the_middle_is_reported_at_its_position(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with forger(db) as connection:
        _shift_up_from(connection, 400)
        connection.execute(insert(events).values(_forged_row(connection, 400, 399)))
    err = verify_fails_at(capsys, db, 400)
    assert "00000000-0000-4000-8000-00000000f0f0" in err


def test_a_row_inserted_and_chained_in_is_reported_where_the_chain_resumes(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The forger computes a valid hash for the inserted row: the first event after it no
    longer links to it (its hash covers its old position and predecessor)."""
    with forger(db) as connection:
        _shift_up_from(connection, 400)
        forged = _forged_row(connection, 400, 399)
        forged.update(  # a whole, plausible event of a stream of its own
            stream="site:SFORGED",
            version=1,
            type="SiteRegistered",
            actor=None,
            data={"site_id": "SFORGED", "name": "Forged", "specialist_for": []},
        )
        previous = row_at(connection, 399).hash
        forged["prev_hash"] = previous
        forged["hash"] = row_hash(SimpleNamespace(**forged), previous)
        connection.execute(insert(events).values(forged))
    err = verify_fails_at(capsys, db, 401)
    assert "chain is broken" in err


def test_a_row_appended_behind_coords_back_is_reported(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with forger(db) as connection:
        forged = _forged_row(connection, EVENTS + 1, 10)
        forged["version"] = 2
        connection.execute(insert(events).values(forged))
    verify_fails_at(capsys, db, EVENTS + 1)


def test_reordered_rows_are_reported_at_the_first_moved_position(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with forger(db) as connection:
        first, second = row_at(connection, 600), row_at(connection, 650)
        connection.execute(delete(events).where(events.c.position.in_([600, 650])))
        connection.execute(insert(events).values(values_of(first, position=650)))
        connection.execute(insert(events).values(values_of(second, position=600)))
    err = verify_fails_at(capsys, db, 600)
    assert second.event_id in err


def test_a_rewritten_history_with_recomputed_hashes_is_caught_by_the_kept_head(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, head, err = coord(capsys, "verify", "--db", db, "--head")
    assert status == 0, err
    position, digest = head.strip().split(":")
    assert position == str(EVENTS) and len(digest) == 64
    with forger(db) as connection:
        row = row_at(connection, 250)
        connection.execute(
            update(events)
            .where(events.c.position == 250)
            .values(occurred_at=row.occurred_at.replace(hour=(row.occurred_at.hour + 1) % 24))
        )
        rechain(connection, 250)
    # every hash agrees with its row again: the chain alone cannot see the change
    status, out, _ = coord(capsys, "verify", "--db", db)
    assert status == 0 and f"ok: {EVENTS} events" in out
    status, _, err = coord(capsys, "verify", "--db", db, "--expect-head", head.strip())
    assert status == 1
    assert f"event at position {EVENTS} " in err and "rewritten" in err


def test_the_kept_head_still_verifies_after_more_events_are_recorded(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, head, _ = coord(capsys, "verify", "--db", db, "--head")
    assert status == 0
    more = tmp_path / "more.jsonl"
    more.write_text(
        "".join(
            json.dumps(
                {
                    "type": "SiteRegistered",
                    "occurred_at": "2025-06-01T09:00:00Z",
                    "data": {"site_id": f"NEW{n}", "name": f"New site {n}", "specialist_for": []},
                }
            )
            + "\n"
            for n in range(3)
        )
    )
    status, out, err = coord(capsys, "import", "--db", db, str(more))
    assert (status, out.strip()) == (0, "imported 3, duplicates 0"), err
    status, out, err = coord(capsys, "verify", "--db", db, "--expect-head", head.strip())
    assert status == 0, err
    assert f"position {EVENTS} has the expected hash" in out
    status, new_head, _ = coord(capsys, "verify", "--db", db, "--head")
    assert int(new_head.split(":")[0]) == EVENTS + 3


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("12", "POSITION:HASH"),
        ("x:" + "a" * 64, "POSITION:HASH"),
        ("0:" + "a" * 64, "POSITION:HASH"),
        ("5:abc", "64 hexadecimal digits"),
        ("5:" + "g" * 64, "64 hexadecimal digits"),
    ],
)
def test_a_malformed_expected_head_is_refused_with_a_message(
    db: str, value: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = coord(capsys, "verify", "--db", db, "--expect-head", value)
    assert status == 2
    assert says in err and "Traceback" not in err


def test_an_empty_log_has_no_head_to_keep(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert coord(capsys, "init", "--db", db_url)[0] == 0
    status, out, err = coord(capsys, "verify", "--db", db_url, "--head")
    assert (status, out) == (1, "")
    assert "empty" in err


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET stream = 'site:X' WHERE position = 1",
        "DELETE FROM events WHERE position = 1",
        "DELETE FROM event_references",
        "UPDATE event_references SET key = 'x'",
    ],
)
def test_the_database_refuses_to_change_the_log(db: str, statement: str) -> None:
    """The append-only triggers: with them dropped, this test fails."""
    engine = create_engine_for(db)
    try:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()
    assert APPEND_ONLY_MESSAGE.startswith("coord: the event log is append-only")


def test_truncate_is_refused_on_postgresql(db: str) -> None:
    if not db.startswith("postgresql"):
        pytest.skip("SQLite has no TRUNCATE")
    engine = create_engine_for(db)
    try:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text("TRUNCATE events CASCADE"))
    finally:
        engine.dispose()
