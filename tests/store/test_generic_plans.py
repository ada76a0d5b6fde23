"""On PostgreSQL a unit of work plans its prepared statements once per connection
(``plan_cache_mode = force_generic_plan``, for its own transaction only): by default the
prefetch's lookups over ``unnest`` of an array were planned afresh at every command."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from coord.app.database import Database
from coord.app.recording import record
from coord.events import decode_event
from coord.interop.jsonl import parse_line

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample-network.jsonl"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_commands_prepared_statements_are_never_planned_afresh(database: Database) -> None:
    lines = SAMPLE.read_text().splitlines()[:40]
    for line in lines:
        record(database.store, decode_event(parse_line(line)))
    with database.store.writing() as writer:
        mode = writer.connection.execute(text("SHOW plan_cache_mode")).scalar_one()
        plans = writer.connection.execute(
            text(
                "SELECT sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements"
                " WHERE statement LIKE '%found_by%'"
            )
        ).one()
    generic, custom = plans
    assert generic and generic > 0  # psycopg prepared the prefetch, and it ran
    assert custom == 0
    assert mode == "force_generic_plan"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_plan_mode_ends_with_the_unit_of_work(database: Database) -> None:
    with database.store.writing():
        pass
    with database.store.reading() as reader:
        mode = reader.connection.execute(text("SHOW plan_cache_mode")).scalar_one()
    assert mode == "auto"
