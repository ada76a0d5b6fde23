"""The baselines coord is compared with, run on the same rows in the same benchmark run:

- the raw driver writing the rows into a bare table (sqlite3 ``executemany`` in one
  transaction; psycopg ``COPY``), and a raw ``SELECT`` + JSON decode reading them back
  (the read ceiling);
- pyeventsourcing: :mod:`bench.pyeventsourcing`.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import orjson
import psycopg
from sqlalchemy.engine import make_url

from coord.events.registry import DEFAULT_REGISTRY

RAW_COLUMNS = "event_id, stream, type, occurred_at, recorded_at, actor, data"


def stream_of(raw: dict[str, Any], streams: dict[str, str]) -> str:
    """The coord stream of a raw event line (a retraction: its target's stream)."""
    data = raw["data"]
    if raw["type"] == "EventRetracted":
        return streams.get(str(data["event_id"]).lower(), "retracted:unknown")
    model = DEFAULT_REGISTRY.model(raw["type"])
    return f"{model.STREAM}:{data[model.SUBJECT]}"


def read_events(path: Path) -> list[dict[str, Any]]:
    """The raw events of a JSONL file, each with its stream under ``"stream"``."""
    streams: dict[str, str] = {}
    out = []
    with path.open("rb") as source:
        for line in source:
            if line.strip():
                raw = orjson.loads(line)
                raw["stream"] = stream_of(raw, streams)
                streams[raw["event_id"]] = raw["stream"]
                out.append(raw)
    return out


def _row(raw: dict[str, Any]) -> tuple[Any, ...]:
    actor = raw.get("actor")
    return (
        raw["event_id"], raw["stream"], raw["type"], raw["occurred_at"], raw["recorded_at"],
        None if actor is None else orjson.dumps(actor).decode(), orjson.dumps(raw["data"]).decode(),
    )  # fmt: skip


def _pg_connect(url: str) -> psycopg.Connection[Any]:
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password,
        dbname=parsed.database,
    )  # fmt: skip


def _sqlite_path(url: str) -> str:
    return str(make_url(url).database)


def raw_insert(url: str, raws: list[dict[str, Any]]) -> float:
    """Seconds to write the rows (already parsed) into a bare table, committed."""
    rows = [_row(raw) for raw in raws]
    if url.startswith("sqlite"):
        connection = sqlite3.connect(_sqlite_path(url), isolation_level=None)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(
            "CREATE TABLE raw_events (position INTEGER PRIMARY KEY, event_id TEXT, stream TEXT,"
            " type TEXT, occurred_at TEXT, recorded_at TEXT, actor TEXT, data TEXT)"
        )
        began = time.perf_counter()
        connection.execute("BEGIN")
        connection.executemany(
            f"INSERT INTO raw_events ({RAW_COLUMNS}) VALUES (?,?,?,?,?,?,?)", rows
        )
        connection.execute("COMMIT")
        seconds = time.perf_counter() - began
        connection.close()
        return seconds
    with _pg_connect(url) as connection:
        connection.execute(
            "CREATE TABLE raw_events (position bigserial PRIMARY KEY, event_id text, stream text,"
            " type text, occurred_at timestamptz, recorded_at timestamptz, actor json, data json)"
        )
        connection.commit()
        began = time.perf_counter()
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY raw_events ({RAW_COLUMNS}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        connection.commit()
        return time.perf_counter() - began


def read_ceiling(url: str, table: str = "events") -> tuple[float, int]:
    """Seconds to SELECT every event row of ``table`` with the raw driver and decode its
    JSON (data and actor), and the number of rows: what no rebuild can beat."""
    count = 0
    began = time.perf_counter()
    if url.startswith("sqlite"):
        connection = sqlite3.connect(_sqlite_path(url))
        cursor = connection.execute(
            f"SELECT position, stream, type, occurred_at, data, actor FROM {table}"
        )
        while rows := cursor.fetchmany(5000):
            for row in rows:
                orjson.loads(row[4])
                if row[5] is not None:
                    orjson.loads(row[5])
            count += len(rows)
        connection.close()
    else:
        with _pg_connect(url) as connection, connection.cursor(name="ceiling") as cursor:
            cursor.execute(
                f"SELECT position, stream, type, occurred_at, data::text, actor::text FROM {table}"
            )
            while rows := cursor.fetchmany(5000):
                for row in rows:
                    orjson.loads(row[4])
                    if row[5] is not None:
                        orjson.loads(row[5])
                count += len(rows)
    return time.perf_counter() - began, count
