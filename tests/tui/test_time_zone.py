"""The terminal UI follows the network's time zone: after another process stores another
one (``coord init --tz``), an open UI shows times, and checks the local-date rules, in
the new zone without a restart (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from textual.widgets import DataTable

from coord.app.database import initialise
from coord.app.recording import EventRejected
from coord.events.types import TechnicalIssueReported
from coord.tui.log_view import LogScreen
from coord.tui.workspace import Workspace, format_local

from .conftest import AppFactory, Clock, settle

TOKYO = "Asia/Tokyo"


def _store_zone(url: str, zone: str) -> None:
    """What ``coord init --tz ZONE`` does, as another process would."""
    initialise(url, zone).close()


async def test_the_open_ui_shows_times_in_the_zone_stored_from_outside(
    workspace: Workspace, sample_url: str, make_app: AppFactory
) -> None:
    app = make_app(workspace, mode="log")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        log = app.screen
        assert isinstance(log, LogScreen)
        top = log.entries[0].event
        table = log.query_one("#log", DataTable)
        london = ZoneInfo("Europe/London")
        assert table.get_row_at(0)[1:3] == [
            format_local(top.recorded_at, london, seconds=True),
            format_local(top.occurred_at, london),
        ]

        await asyncio.to_thread(_store_zone, sample_url, TOKYO)
        app.check_log()  # the poll (every second in `coord tui`)
        await settle(pilot)

        assert workspace.time_zone.key == TOKYO
        tokyo = ZoneInfo(TOKYO)
        shown = log.query_one("#log", DataTable).get_row_at(0)[1:3]
        assert shown == [
            format_local(top.recorded_at, tokyo, seconds=True),
            format_local(top.occurred_at, tokyo),
        ]
        assert shown != [
            format_local(top.recorded_at, london, seconds=True),
            format_local(top.occurred_at, london),
        ]


def test_rule_checks_take_the_zone_stored_now(
    workspace: Workspace, sample_url: str, clock: Clock
) -> None:
    """BLAD-2024-12-18 is at 12:30 UTC: 20:00 UTC that day is the meeting's day in London
    but the next day in Tokyo, so a technical issue then is refused once Tokyo is the
    network's zone, also by a UI opened before (whose screens have not polled yet)."""
    clock.at = datetime(2024, 12, 19, 12, 0, tzinfo=UTC)
    issue = TechnicalIssueReported(meeting_id="BLAD-2024-12-18", kind="video_link")
    evening = datetime(2024, 12, 18, 20, 0, tzinfo=UTC)
    assert workspace.check(issue, occurred_at=evening) is None

    _store_zone(sample_url, TOKYO)

    reason = workspace.check(issue, occurred_at=evening)
    assert reason is not None and "not on the day of meeting BLAD-2024-12-18" in reason
    head = workspace.head()
    with pytest.raises(EventRejected) as refused:
        workspace.record(issue, occurred_at=evening)
    assert refused.value.reason == reason
    assert workspace.head() == head
