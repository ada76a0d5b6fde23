"""Acceptance: the shared sample log's figures, computed by an independent
implementation of the SPEC, are reproduced exactly."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from coord.events import Event, decode_event
from coord.reports import REPORTS, Period, compute, compute_gaps

from .builders import LONDON

EXAMPLES = Path("/work/shared/examples")
LOG = [
    Path(__file__).resolve().parents[2] / "fixtures" / "sample-network.jsonl",
    EXAMPLES / "sample-network.jsonl",
]
PERIOD = Period(date(2023, 1, 1), date(2026, 1, 1))


@cache
def _events() -> tuple[Event, ...]:
    for path in LOG:
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            return tuple(decode_event(json.loads(line)) for line in lines if line.strip())
    pytest.skip("sample-network.jsonl not available")


def _expected(name: str) -> dict[str, Any]:
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize(
    ("name", "by", "file"),
    [
        ("completeness", None, "sample.completeness.by-presenting_site.json"),
        ("transfers", "method", "sample.transfers.by-method.json"),
        ("referrals", "pathway", "sample.referrals.by-pathway.json"),
    ],
)
def test_report_matches_the_reference_figures(name: str, by: str | None, file: str) -> None:
    expected = _expected(file)
    got = compute(_events(), name, PERIOD, by, LONDON).model_dump(mode="json")
    assert got == expected
    assert json.dumps(got) == json.dumps(expected)  # same member and row order too


def test_gaps_match_the_reference_rows() -> None:
    expected = _expected("sample.gaps.json")
    got = compute_gaps(_events(), PERIOD, LONDON).model_dump(mode="json")
    assert got == expected
    assert json.dumps(got) == json.dumps(expected)


@pytest.mark.parametrize(
    "name", ["completeness", "transfers", "handovers", "referrals", "meetings"]
)
def test_every_by_key_totals_the_same_population(name: str) -> None:
    totals = [
        compute(_events(), name, PERIOD, by, LONDON).model_dump(mode="json")["total"]
        for by in REPORTS[name].by_keys
        if by != "item"
    ]
    assert all(total == totals[0] for total in totals)
