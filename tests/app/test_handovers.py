"""The handover board: each column holds exactly the handovers the SPEC's fold puts in
it, moves a handover on as it is acknowledged, declined or completed, and pages in SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coord.app.database import Database
from coord.app.handovers import (
    OVERDUE_AFTER,
    BoardColumn,
    board_counts,
    board_page,
    describe_age,
)
from coord.app.recording import record
from coord.events import EventData, new_event
from coord.events.types import (
    HandoverAcknowledged,
    HandoverCompleted,
    HandoverDeclined,
    HandoverInitiated,
)
from coord.reports import derive_facts
from coord.reports.records import Handover

from .conftest import sample_events

NOW = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)


def _expected_column(handover: Handover, now: datetime) -> BoardColumn | None:
    """The board's columns, stated independently of the SQL filter."""
    if handover.declined_at is not None:
        return BoardColumn.declined
    if handover.acknowledged_at is None:
        if now - handover.initiated_at > OVERDUE_AFTER:
            return BoardColumn.overdue
        return BoardColumn.awaiting
    if handover.completed_at is None:
        return BoardColumn.unfinished
    return None


def _put(database: Database, data: EventData, at: datetime) -> None:
    record(database.store, new_event(data, at), now=at)


def test_each_column_holds_the_handovers_the_fold_puts_there(sample_db: Database) -> None:
    handovers = derive_facts(sample_events()).handovers.values()
    for column in BoardColumn:
        page = board_page(sample_db.store, column, NOW, limit=1000)
        expected = {h.handover_id for h in handovers if _expected_column(h, NOW) is column}
        assert {h.handover_id for h in page.handovers} == expected
        assert page.total == len(expected)
    counts = board_counts(sample_db.store, NOW)
    assert counts == {
        BoardColumn.awaiting: 0,
        BoardColumn.overdue: 3,
        BoardColumn.declined: 1,
        BoardColumn.unfinished: 4,
    }


def test_a_handover_moves_across_the_board_as_it_is_answered(sample_db: Database) -> None:
    start = NOW - timedelta(hours=2)
    _put(
        sample_db,
        HandoverInitiated(
            handover_id="HO-NEW",
            patient_id="PT00025",
            from_site="S01",
            to_site="S04",
            from_role="specialist team",
            to_role="local oncology",
            reason="follow-up after surgery",
        ),
        start,
    )

    def column_of(handover_id: str, now: datetime) -> set[BoardColumn]:
        return {
            column
            for column in BoardColumn
            if any(
                h.handover_id == handover_id
                for h in board_page(sample_db.store, column, now, limit=1000).handovers
            )
        }

    assert column_of("HO-NEW", NOW) == {BoardColumn.awaiting}
    assert column_of("HO-NEW", start + timedelta(hours=49)) == {BoardColumn.overdue}
    _put(sample_db, HandoverAcknowledged(handover_id="HO-NEW"), NOW - timedelta(hours=1))
    assert column_of("HO-NEW", NOW) == {BoardColumn.unfinished}
    _put(sample_db, HandoverCompleted(handover_id="HO-NEW"), NOW)
    assert column_of("HO-NEW", NOW) == set()


def test_declined_handovers_leave_the_awaiting_column(sample_db: Database) -> None:
    before = board_counts(sample_db.store, NOW)
    overdue = board_page(sample_db.store, BoardColumn.overdue, NOW).handovers[0]
    _put(sample_db, HandoverDeclined(handover_id=overdue.handover_id, reason="not ours"), NOW)
    after = board_counts(sample_db.store, NOW)
    assert after[BoardColumn.overdue] == before[BoardColumn.overdue] - 1
    assert after[BoardColumn.declined] == before[BoardColumn.declined] + 1


def test_pages_and_site_filter(sample_db: Database) -> None:
    handovers = derive_facts(sample_events()).handovers.values()
    unfinished = board_page(sample_db.store, BoardColumn.unfinished, NOW, limit=1000).handovers
    first = board_page(sample_db.store, BoardColumn.unfinished, NOW, limit=3)
    rest = board_page(sample_db.store, BoardColumn.unfinished, NOW, offset=3, limit=3)
    assert first.handovers + rest.handovers == unfinished
    assert [h.initiated_at for h in unfinished] == sorted(h.initiated_at for h in unfinished)
    site = unfinished[0].to_site
    at_site = board_page(sample_db.store, BoardColumn.unfinished, NOW, site=site, limit=1000)
    assert {h.handover_id for h in at_site.handovers} == {
        h.handover_id
        for h in handovers
        if _expected_column(h, NOW) is BoardColumn.unfinished and site in (h.from_site, h.to_site)
    }


def test_ages_read_as_a_navigator_would_say_them() -> None:
    assert describe_age(timedelta(minutes=35)) == "35 min"
    assert describe_age(timedelta(hours=7, minutes=59)) == "7 h"
    assert describe_age(timedelta(hours=76)) == "3 d 4 h"


def test_declined_handovers_are_listed_most_recently_declined_first(
    sample_db: Database,
) -> None:
    overdue = board_page(sample_db.store, BoardColumn.overdue, NOW).handovers
    for index, handover in enumerate(overdue[:2]):
        _put(
            sample_db,
            HandoverDeclined(handover_id=handover.handover_id, reason="not ours"),
            NOW + timedelta(hours=index),
        )
    declined = board_page(sample_db.store, BoardColumn.declined, NOW).handovers
    assert [h.handover_id for h in declined[:2]] == [
        overdue[1].handover_id,
        overdue[0].handover_id,
    ]
