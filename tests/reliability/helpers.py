"""Shared pieces of the reliability tests: generated logs, running the CLI (in process and
as a real process), snapshots of the read models, and a forger's access to the tables."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import Connection, select, text

from coord.cli.main import main
from coord.demo.generator import generate
from coord.demo.network import load_network
from coord.store import create_engine_for
from coord.store.readmodels import checkpoint
from coord.store.schema import events, read_models

SRC = Path(__file__).resolve().parents[2] / "src"
START = date(2025, 3, 3)
#: a period covering every generated log of these tests
FROM, TO = "2025-01-01", "2026-01-01"


def generated_log_bytes(*, seed: int = 3, months: int = 2, scale: float = 0.05) -> bytes:
    """A seeded log of the fictional network (event ids on every line, NHS numbers on
    most patients)."""
    out = io.BytesIO()
    generate(load_network(), seed=seed, months=months, out=out, scale=scale, start=START)
    return out.getvalue()


def generated_log(path: Path, *, seed: int = 3, months: int = 2, scale: float = 0.05) -> Path:
    """:func:`generated_log_bytes` written to ``path``."""
    path.write_bytes(generated_log_bytes(seed=seed, months=months, scale=scale))
    return path


def coord(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``coord ARGS`` in this process: (exit status, stdout, stderr)."""
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def coord_process(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``python -m coord ARGS`` as a real process (this checkout's sources)."""
    return subprocess.run(
        [sys.executable, "-m", "coord", *args],
        capture_output=True,
        text=True,
        env=process_env(),
        timeout=timeout,
        check=False,
    )


def process_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COORD_DB", "COORD_DEBUG")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    return env


def read_model_rows(url: str) -> list[tuple[Any, ...]]:
    """Every read-model row, every column, in a stable order (for comparing with a
    rebuild: an arrival's tie-break is the global position in both)."""
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(read_models).order_by(
                    read_models.c.owner, read_models.c.kind, read_models.c.seq
                )
            ).all()
    finally:
        engine.dispose()
    return [tuple(row) for row in rows]


def head_and_checkpoint(url: str) -> tuple[int, int]:
    """(the log's last position, the read models' checkpoint)."""
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            head = connection.execute(select(sqlalchemy.func.max(events.c.position))).scalar()
            return int(head or 0), checkpoint(connection)
    finally:
        engine.dispose()


@contextmanager
def forger(url: str) -> Iterator[Connection]:
    """A transaction on the database as someone with the rights to bypass coord: the
    append-only triggers (and foreign keys) do not fire. SQLite: a plain connection
    (foreign keys off) after dropping the triggers; PostgreSQL: replication role."""
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                for table in ("events", "event_references"):
                    for action in ("update", "delete"):
                        connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{action}"))
            yield connection
    finally:
        engine.dispose()
