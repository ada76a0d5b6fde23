"""The gaps query (SPEC §7) against the hand-computed scenario (see scenario.py)."""

from __future__ import annotations

from .builders import discussed, gaps, listed, meeting, protocol
from .scenario import smdt_events

C2_SUMMARY = {
    "case_id": "C2",
    "meeting_id": "M2",
    "patient_id": "P2",
    "pathway": "prostate",
    "presenting_site": "S3",
    "item": "clinical_summary",
    "discussed_at": "2024-03-26T10:40:00Z",
    # the waiver and the receipt occurred at the same instant: the first in the log
    "arrived_at": "2024-03-28T10:40:00Z",
    "arrived_by": "waived",
    "hours_late": 48.0,
    "transfer_ids": [],
    "chases": 0,
}
C3_IMAGING = {
    "case_id": "C3",
    "meeting_id": "M2",
    "patient_id": "P3",
    "pathway": "prostate",
    "presenting_site": "S2",
    "item": "imaging",
    "discussed_at": "2024-03-26T10:50:00Z",
    "arrived_at": "2024-03-27T12:50:00Z",
    "arrived_by": "transfer",
    "hours_late": 26.0,
    "transfer_ids": ["T3a", "T3b"],
    "chases": 3,
}


def test_one_row_per_discussion_and_missing_item_sorted_by_time() -> None:
    report = gaps(smdt_events())
    assert list(report) == ["query", "from", "to", "site", "pathway", "as_of", "rows"]
    assert report["query"] == "gaps"
    assert (report["site"], report["pathway"], report["as_of"]) == (None, None, None)
    assert report["rows"] == [C2_SUMMARY, C3_IMAGING]
    assert list(report["rows"][0]) == list(C2_SUMMARY)


def test_site_and_pathway_filter() -> None:
    assert gaps(smdt_events(), site="S2")["rows"] == [C3_IMAGING]
    assert gaps(smdt_events(), site="S2")["site"] == "S2"
    assert gaps(smdt_events(), pathway="kidney")["rows"] == []
    assert gaps(smdt_events(), pathway="prostate")["rows"] == [C2_SUMMARY, C3_IMAGING]


def test_an_item_that_never_arrived_has_nulls() -> None:
    events = [
        protocol("kidney", 1, ["imaging", "radiology_report"]),
        meeting("K1", "2024-05-01T09:00Z", "2024-04-30T12:00Z", pathway="kidney"),
        listed("K-B", "K1", "2024-04-20T09:00Z", pathway="kidney"),
        listed("K-A", "K1", "2024-04-20T09:00Z", pathway="kidney"),
        discussed("K-B", "K1", "2024-05-01T09:10Z"),
        discussed("K-A", "K1", "2024-05-01T09:10Z"),
    ]
    rows = gaps(events)["rows"]
    # same discussed_at: by case_id, then item
    assert [(r["case_id"], r["item"]) for r in rows] == [
        ("K-A", "imaging"),
        ("K-A", "radiology_report"),
        ("K-B", "imaging"),
        ("K-B", "radiology_report"),
    ]
    assert {(r["arrived_at"], r["arrived_by"], r["hours_late"]) for r in rows} == {
        (None, None, None)
    }
    assert gaps(events, start="2024-05-02", end="2024-06-01")["rows"] == []
