"""The gaps report sorts its rows unless they come in its order already (the live gaps
query reads them in that order: :func:`coord.store.aggregates.gap_payloads`)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from coord.reports import Period
from coord.reports.gaps import GapRow, gaps_report


def _row(day: int) -> GapRow:
    return GapRow(
        case_id="C1", meeting_id="M1", patient_id="P1", pathway="prostate",
        presenting_site="S1", item="imaging", discussed_at=datetime(2025, 3, day, 9, tzinfo=UTC),
        arrived_at=None, arrived_by=None, hours_late=None, transfer_ids=[], chases=0,
    )  # fmt: skip


def test_rows_in_order_already_are_not_sorted_again() -> None:
    later, earlier = _row(5), _row(4)
    period = Period(date(2025, 3, 1), date(2025, 4, 1))
    assert gaps_report([later, earlier], period, in_order=True).rows == [later, earlier]
    assert gaps_report([later, earlier], period).rows == [earlier, later]
