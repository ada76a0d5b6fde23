"""The hash chain: the canonical bytes of a stored event and its hash.

``hash = sha256(bytes.fromhex(prev_hash) || canonical)`` where ``canonical`` is the
event's export form (:func:`coord.events.encode_event`) plus ``position``, ``stream`` and
``version``, serialised by orjson with sorted keys (compact, UTF-8). The first event's
``prev_hash`` is :data:`GENESIS_HASH`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson

from coord.events import format_timestamp

GENESIS_HASH = "0" * 64


class Head(NamedTuple):
    """The last event of the log: its global position and hash."""

    position: int
    hash: str


def canonical_bytes(position: int, stream: str, version: int, export: Mapping[str, Any]) -> bytes:
    body = {**export, "position": position, "stream": stream, "version": version}
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical).hexdigest()


def export_form(row: Any) -> dict[str, Any]:
    """The export form of an ``events`` row (the same dict ``encode_event`` gave when it
    was appended)."""
    out: dict[str, Any] = {
        "event_id": row.event_id,
        "type": row.type,
        "schema_version": row.schema_version,
        "occurred_at": format_timestamp(row.occurred_at),
        "recorded_at": format_timestamp(row.recorded_at),
    }
    if row.actor:
        out["actor"] = row.actor
    out["data"] = row.data
    return out


def row_hash(row: Any, prev_hash: str) -> str:
    """Recompute the hash of an ``events`` row given the hash before it."""
    canonical = canonical_bytes(row.position, row.stream, row.version, export_form(row))
    return chain_hash(prev_hash, canonical)
