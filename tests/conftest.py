"""Shared fixtures: ``db_url`` runs a store test on SQLite and on PostgreSQL.

PostgreSQL: see ``tests/pg_harness.py`` (``COORD_TEST_POSTGRES_URL``,
``COORD_REQUIRE_POSTGRES=1``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).parent))  # the harness, however pytest imports us

from coord.app.database import Database, initialise
from coord.store import EventStore, create_engine_for, upgrade
from pg_harness import REQUIRE_ENV, Server, start_server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    server, cluster, reason = start_server()
    try:
        if server is None:
            if os.environ.get(REQUIRE_ENV) == "1":
                pytest.fail(f"{REQUIRE_ENV}=1 but {reason}", pytrace=False)
            pytest.skip(reason)
        yield server
    finally:
        if cluster is not None:
            cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database (no schema), one per test, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'coord.db'}"
        return
    server: Server = request.getfixturevalue("postgres_server")
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)


@pytest.fixture
def db_url_factory(
    request: pytest.FixtureRequest, db_url: str, tmp_path: Path
) -> Iterator[Callable[[], str]]:
    """Makes more empty databases on the same backend as ``db_url`` (dropped afterwards)."""
    made: list[str] = []
    server: Server | None = None
    if not db_url.startswith("sqlite"):
        server = request.getfixturevalue("postgres_server")

    def make() -> str:
        if server is None:
            url = f"sqlite:///{tmp_path / f'coord-{len(made) + 1}.db'}"
        else:
            url = server.create_database()
        made.append(url)
        return url

    try:
        yield make
    finally:
        if server is not None:
            for url in made:
                server.drop_database(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on an initialised database (schema at head)."""
    engine = create_engine_for(db_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def store(engine: Engine) -> EventStore:
    return EventStore(engine)


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """A database as ``coord init`` leaves it (schema at head, read models kept)."""
    database = initialise(db_url)
    yield database
    database.close()
