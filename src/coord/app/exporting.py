"""Export the log as JSON Lines (SPEC §8): every stored event once, in global order.

``pseudonymise`` writes a copy for sharing outside the network: every ``patient_id`` is
replaced by a keyed hash of it (HMAC-SHA256 with a secret key, so nobody without the key
can recompute the pseudonym from a known patient id, and the same key gives the same
pseudonym in every export) and every ``nhs_number`` is left out. Everything else — event
ids, times, sites, pathways, items, free text — is kept, so the copy imports into an
empty store and gives the same reports.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from typing import IO, Any

import orjson

from coord.events import encode_event
from coord.interop.jsonl import dump_event
from coord.store.log import EventStore

#: The environment variable holding the pseudonymisation key (``--key-file`` overrides it).
KEY_ENV = "COORD_PSEUDONYM_KEY"
#: The shortest key accepted, in bytes.
MIN_KEY_BYTES = 16
#: Fields of an event's data that name a patient (replaced) or identify one (left out).
PATIENT_FIELDS = ("patient_id",)
IDENTIFYING_FIELDS = ("nhs_number",)


class InvalidKey(ValueError):
    """A pseudonymisation key that is missing or too short."""


def pseudonymisation_key(text: bytes | str | None) -> bytes:
    """The key as bytes (surrounding white space, e.g. a file's final newline, removed)."""
    if text is None:
        raise InvalidKey(
            f"--pseudonymise needs a secret key: give --key-file FILE or set {KEY_ENV}; "
            "make one with: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    key = (text.encode() if isinstance(text, str) else text).strip()
    if len(key) < MIN_KEY_BYTES:
        raise InvalidKey(
            f"the pseudonymisation key is {len(key)} bytes long; use at least "
            f"{MIN_KEY_BYTES} (e.g. 64 hex digits from secrets.token_hex(32))"
        )
    return key


class Pseudonymiser:
    """Replaces patient ids by keyed hashes and removes NHS numbers from export forms."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def pseudonym(self, patient_id: str) -> str:
        """``p-`` and the first 32 hex digits (128 bits) of HMAC-SHA256(key, patient_id)."""
        digest = hmac.new(self._key, patient_id.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"p-{digest[:32]}"

    def apply(self, export: Mapping[str, Any]) -> dict[str, Any]:
        data = {
            name: self.pseudonym(value) if name in PATIENT_FIELDS else value
            for name, value in export["data"].items()
            if name not in IDENTIFYING_FIELDS
        }
        return {**export, "data": data}


def export_log(
    store: EventStore,
    out: IO[bytes],
    on_progress: Callable[[int], None] | None = None,
    pseudonymiser: Pseudonymiser | None = None,
) -> int:
    """Write every event to ``out`` in global order; return how many were written."""
    written = 0
    with store.reading() as reader:
        for stored in reader.read_all():
            if pseudonymiser is None:
                out.write(dump_event(stored.event))
            else:
                out.write(orjson.dumps(pseudonymiser.apply(encode_event(stored.event))) + b"\n")
            written += 1
            if on_progress is not None and written % 1000 == 0:
                on_progress(1000)
    return written
