"""The statements every command runs go to the driver's own cursor (without SQLAlchemy's
execution machinery) but fail as SQLAlchemy's ``execute`` fails: the messages for a
failing or busy database stay the same."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from store_helpers import at, site

from coord.store import EventStore, StoreBusy, create_engine_for, upgrade
from coord.store import engine as store_engine
from coord.store.engine import driver_execute
from coord.store.failures import database_failure


def test_a_driver_error_is_raised_as_sqlalchemy_s(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'coord.db'}")
    try:
        with engine.connect() as connection, pytest.raises(OperationalError) as raised:
            driver_execute(connection, "INSERT INTO missing VALUES (1)")
        failure = database_failure(raised.value)
        assert failure is not None and failure.kind == "operation"
        assert failure.detail == "no such table: missing"
    finally:
        engine.dispose()


def test_a_write_lock_held_elsewhere_is_store_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``BEGIN IMMEDIATE`` (run on the driver) failing to take the write lock."""
    path = tmp_path / "coord.db"
    monkeypatch.setattr(store_engine, "BUSY_TIMEOUT_SECONDS", 0)
    engine = create_engine_for(f"sqlite:///{path}")
    upgrade(engine)
    store = EventStore(engine)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreBusy), store.writing() as writer:
            writer.append([site("S1", recorded=at(1))])
        other.execute("ROLLBACK")
        with store.writing() as writer:  # free again
            writer.append([site("S1", recorded=at(1))])
    finally:
        other.close()
        engine.dispose()
