"""Acceptance: the independent implementation's sample log is valid under our rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coord.domain import Accepted, InMemoryLog, Rejected
from coord.events import decode_event, parse_timestamp

from .builders import LONDON

SAMPLE = Path("/work/shared/examples/sample-network.jsonl")
CANDIDATES = [
    Path(__file__).resolve().parents[2] / "fixtures" / "sample-network.jsonl",
    SAMPLE,
]


def _sample() -> Path:
    for path in CANDIDATES:
        if path.exists():
            return path
    pytest.skip("sample-network.jsonl not available")


def test_every_sample_line_is_accepted_in_order() -> None:
    lines = _sample().read_text(encoding="utf-8").splitlines()
    events = [decode_event(json.loads(line)) for line in lines if line.strip()]
    assert len(events) == 2800
    log = InMemoryLog()
    decisions = log.append_all(
        events,
        time_zone=LONDON,
        now=parse_timestamp("2026-11-26T00:00Z"),
        raise_on_reject=False,
    )
    rejected = [
        f"line {i + 1}: {d.reason}" for i, d in enumerate(decisions) if isinstance(d, Rejected)
    ]
    assert rejected == []
    assert all(isinstance(d, Accepted) for d in decisions)
    # the file's recorded_at values are kept
    assert [e.recorded_at for e in log.events()] == [e.recorded_at for e in events]
    # importing it again: every line is a duplicate
    again = log.append_all(events, now=parse_timestamp("2026-11-26T00:00Z"))
    assert {type(d).__name__ for d in again} == {"Duplicate"}
