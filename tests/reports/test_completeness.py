"""``completeness`` against the hand-computed scenario (see scenario.py)."""

from __future__ import annotations

import pytest

from .builders import deferred, discussed, listed, meeting, protocol, received, rows, run
from .scenario import smdt_events


def test_by_presenting_site() -> None:
    report = run(smdt_events(), "completeness")
    assert report["report"] == "completeness"
    assert report["by"] == "presenting_site"
    assert report["as_of"] is None
    assert (report["from"], report["to"]) == ("2024-01-01", "2025-01-01")
    assert rows(report) == {
        "S2": {
            "discussions": 2,
            "complete_discussions": 1,
            "case_completeness": 0.5,
            "items_required": 4,
            "items_available": 3,
            "item_completeness": 0.75,
            "deferrals": 1,
            "deferrals_missing_information": 1,
            "deferral_rate_missing_information": 0.3333,
        },
        "S3": {
            "discussions": 1,
            "complete_discussions": 0,
            "case_completeness": 0.0,
            "items_required": 3,
            "items_available": 2,
            "item_completeness": 0.6667,
            "deferrals": 0,
            "deferrals_missing_information": 0,
            "deferral_rate_missing_information": 0.0,
        },
    }
    assert report["total"] == {
        "key": None,
        "discussions": 3,
        "complete_discussions": 1,
        "case_completeness": 0.3333,
        "items_required": 7,
        "items_available": 5,
        "item_completeness": 0.7143,
        "deferrals": 1,
        "deferrals_missing_information": 1,
        "deferral_rate_missing_information": 0.25,
    }


def test_by_item_counts_discussions_only() -> None:
    report = run(smdt_events(), "completeness", by="item")
    assert list(report["rows"][0]) == [
        "key",
        "items_required",
        "items_available",
        "item_completeness",
    ]
    assert rows(report) == {
        "clinical_summary": {"items_required": 1, "items_available": 0, "item_completeness": 0.0},
        "imaging": {"items_required": 3, "items_available": 2, "item_completeness": 0.6667},
        "pathology_report": {"items_required": 3, "items_available": 3, "item_completeness": 1.0},
    }
    assert report["total"] == {
        "key": None,
        "items_required": 7,
        "items_available": 5,
        "item_completeness": 0.7143,
    }


def test_a_site_with_only_deferrals_has_a_row_with_null_ratios() -> None:
    events = [
        protocol("prostate", 1, ["imaging"]),
        meeting("M1", "2024-03-05T10:00Z", "2024-03-04T12:00Z"),
        listed("C9", "M1", "2024-02-20T09:00Z", site="S9"),
        deferred("C9", "M1", "2024-03-05T10:30Z", "clinician_unavailable"),
    ]
    assert rows(run(events, "completeness"))["S9"] == {
        "discussions": 0,
        "complete_discussions": 0,
        "case_completeness": None,
        "items_required": 0,
        "items_available": 0,
        "item_completeness": None,
        "deferrals": 1,
        "deferrals_missing_information": 0,
        "deferral_rate_missing_information": 0.0,
    }


def test_months_are_local_and_keyed_by_the_event_itself() -> None:
    events = [
        protocol("prostate", 1, ["imaging"]),
        meeting("M1", "2024-07-01T09:00Z", "2024-06-28T12:00Z"),
        listed("C1", "M1", "2024-06-20T09:00Z", site="S2"),
        listed("C2", "M1", "2024-06-20T09:00Z", site="S2"),
        received("C2", "imaging", "2024-06-21T09:00Z"),
        # pre-meeting triage at 00:30 BST on 1 July: a July deferral
        deferred("C1", "M1", "2024-06-30T23:30Z"),
        discussed("C2", "M1", "2024-07-01T09:30Z"),
    ]
    report = run(events, "completeness", by="month")
    assert [r["key"] for r in report["rows"]] == ["2024-07"]
    assert report["total"]["deferrals"] == 1
    june = run(events, "completeness", by="month", start="2024-06-01", end="2024-07-01")
    assert june["rows"] == []
    by_pathway = run(events, "completeness", by="pathway")
    assert rows(by_pathway)["prostate"]["discussions"] == 1
    assert rows(by_pathway)["prostate"]["complete_discussions"] == 1


def test_an_empty_period_has_no_rows_and_a_total_of_zeros_and_nulls() -> None:
    report = run(smdt_events(), "completeness", start="2025-01-01", end="2025-02-01")
    assert report["rows"] == []
    assert report["total"] == {
        "key": None,
        "discussions": 0,
        "complete_discussions": 0,
        "case_completeness": None,
        "items_required": 0,
        "items_available": 0,
        "item_completeness": None,
        "deferrals": 0,
        "deferrals_missing_information": 0,
        "deferral_rate_missing_information": None,
    }
    by_item = run(smdt_events(), "completeness", by="item", start="2025-01-01", end="2025-02-01")
    assert by_item["rows"] == []
    assert by_item["total"]["item_completeness"] is None


def test_an_unknown_by_key_is_an_error() -> None:
    with pytest.raises(ValueError, match="use one of: presenting_site, pathway, month, item"):
        run(smdt_events(), "completeness", by="site")
