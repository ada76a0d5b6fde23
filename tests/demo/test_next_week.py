"""The day the demo opens: the coming meetings are being prepared.

A generated log ends at the start of "today" as a real network's log would: the meetings
of the next ten days already have cases listed, some still missing required items, with
transfers requested, sent or chased but not received, and handovers nobody has
acknowledged yet. Nothing in the log occurs or is recorded after the end; only meeting
dates and cutoffs lie ahead.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

import pytest

from coord.app.database import initialise
from coord.app.demo import demo_start, load_demo
from coord.app.reporting import build_report
from coord.demo import generate, load_network
from coord.domain import InMemoryLog, Rejected
from coord.events import Event, decode_event
from coord.events.types import (
    CaseListed,
    CaseRelisted,
    HandoverAcknowledged,
    HandoverDeclined,
    HandoverInitiated,
    ItemReceived,
    ItemWaived,
    MeetingScheduled,
    ProtocolPublished,
    TransferChased,
    TransferFailed,
    TransferReceived,
    TransferRequested,
    TransferSent,
)
from coord.reports import Period

from .trends import LONDON, live

#: A Thursday: the demo is opened on it.
TODAY = date(2026, 3, 12)
MONTHS = 2
AHEAD = timedelta(days=10)


@cache
def opened_today() -> tuple[Event, ...]:
    out = io.BytesIO()
    start = demo_start(MONTHS, TODAY)
    generate(load_network(), seed=4, months=MONTHS, scale=0.5, start=start, until=TODAY, out=out)
    return tuple(decode_event(json.loads(line)) for line in out.getvalue().splitlines())


@dataclass
class Preparation:
    """What a coordinator sees for one upcoming meeting."""

    meeting_id: str
    listed: list[str] = field(default_factory=list)
    missing_items: int = 0  # listed cases still missing a required item
    transfers: dict[str, str] = field(default_factory=dict)  # open transfer -> its last step


def upcoming(events: Sequence[Event], end: datetime) -> dict[str, Preparation]:
    """The meetings scheduled in the ten days after ``end``, folded from the live events."""
    events = live(events)
    protocols: dict[str, list[tuple[datetime, tuple[str, ...]]]] = {}
    required: dict[str, set[str]] = {}
    available: dict[str, set[str]] = {}
    meetings: dict[str, Preparation] = {}
    case_meeting: dict[str, str] = {}
    transfers: dict[str, TransferRequested] = {}
    steps: dict[str, str] = {}
    for event in events:
        data = event.data
        if isinstance(data, ProtocolPublished):
            protocols.setdefault(data.pathway, []).append(
                (event.occurred_at, tuple(data.required_items))
            )
        elif isinstance(data, MeetingScheduled):
            if end <= data.scheduled_for < end + AHEAD:
                meetings[data.meeting_id] = Preparation(data.meeting_id)
        elif isinstance(data, CaseListed | CaseRelisted):
            case_meeting[data.case_id] = data.meeting_id
            if isinstance(data, CaseListed):
                in_force = [i for t, i in protocols[data.pathway] if t <= event.occurred_at]
                required[data.case_id] = set(in_force[-1])
        elif isinstance(data, ItemReceived | ItemWaived):
            available.setdefault(data.case_id, set()).add(data.item)
        elif isinstance(data, TransferRequested):
            transfers[data.transfer_id] = data
            steps[data.transfer_id] = "requested"
        elif isinstance(data, TransferSent | TransferChased):
            steps[data.transfer_id] = "sent" if isinstance(data, TransferSent) else "chased"
        elif isinstance(data, TransferReceived | TransferFailed):
            del steps[data.transfer_id]
            request = transfers[data.transfer_id]
            if isinstance(data, TransferReceived) and request.case_id is not None:
                available.setdefault(request.case_id, set()).add(request.item)
    for case_id, meeting_id in case_meeting.items():
        preparation = meetings.get(meeting_id)
        if preparation is None:
            continue
        preparation.listed.append(case_id)
        if required[case_id] - available.get(case_id, set()):
            preparation.missing_items += 1
    for transfer_id, step in steps.items():
        case_id = transfers[transfer_id].case_id
        if case_id is not None and case_meeting.get(case_id) in meetings:
            meetings[case_meeting[case_id]].transfers[transfer_id] = step
    return meetings


def end_of_log() -> datetime:
    return datetime.combine(TODAY, time(0, 0), tzinfo=LONDON)


def test_nothing_occurs_or_is_recorded_after_the_end_but_meetings_lie_ahead() -> None:
    events = opened_today()
    end = end_of_log()
    assert max(e.occurred_at for e in events) <= end
    assert all(e.recorded_at is not None and e.recorded_at <= end for e in events)
    assert end - max(e.occurred_at for e in events) < timedelta(hours=12)
    ahead = [
        e.data
        for e in events
        if isinstance(e.data, MeetingScheduled) and e.data.scheduled_for > end + AHEAD
    ]
    assert ahead  # scheduled four weeks ahead, as every week


def test_a_log_that_ends_today_is_accepted_whole_by_the_ledger() -> None:
    decisions = InMemoryLog().append_all(
        opened_today(), time_zone=LONDON, now=end_of_log(), raise_on_reject=False
    )
    assert [d.reason for d in decisions if isinstance(d, Rejected)] == []


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        generate(load_network(), seed=1, months=1, start=TODAY, until=TODAY, out=io.BytesIO())


def test_every_meeting_of_the_next_ten_days_has_cases_listed() -> None:
    meetings = upcoming(opened_today(), end_of_log())
    assert len(meetings) >= 6  # four pathways meet weekly
    assert all(m.listed for m in meetings.values()), {
        m.meeting_id: len(m.listed) for m in meetings.values()
    }


def test_the_coming_lists_are_still_missing_items_with_transfers_under_way() -> None:
    meetings = upcoming(opened_today(), end_of_log()).values()
    listed = sum(len(m.listed) for m in meetings)
    missing = sum(m.missing_items for m in meetings)
    assert 0 < missing < listed
    steps = [step for m in meetings for step in m.transfers.values()]
    assert {"requested", "sent", "chased"} <= set(steps)


def test_the_week_after_next_is_partly_listed_already() -> None:
    """A share of cases is booked two meetings ahead, so the lists of the second week are
    started but much shorter than those closing this week."""
    end = end_of_log()
    meetings = upcoming(opened_today(), end)
    by_pathway: dict[str, list[int]] = {}
    for meeting_id in sorted(meetings, key=lambda m: m[-10:]):
        by_pathway.setdefault(meeting_id.split("-")[0], []).append(len(meetings[meeting_id].listed))
    pairs = [sizes[:2] for sizes in by_pathway.values() if len(sizes) >= 2]
    assert pairs
    assert sum(first for first, _ in pairs) > sum(second for _, second in pairs) > 0


def test_handovers_await_acknowledgement_at_the_end() -> None:
    answered = {
        e.data.handover_id
        for e in live(opened_today())
        if isinstance(e.data, HandoverAcknowledged | HandoverDeclined)
    }
    initiated = [
        e.data.handover_id for e in live(opened_today()) if isinstance(e.data, HandoverInitiated)
    ]
    assert 0 < len(set(initiated) - answered) < len(initiated)


def test_demo_opened_today_shows_the_coming_meetings_in_the_meetings_report(
    tmp_path: Path,
) -> None:
    database = initialise(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        load_demo(database, seed=2, months=1, scale=1.0, today=TODAY)
        report = build_report(
            database.store,
            database.time_zone,
            "meetings",
            Period(TODAY, TODAY + AHEAD),
            "meeting_id",
        )
    finally:
        database.close()
    assert len(report.rows) >= 6
    assert all(row.listings > 0 for row in report.rows), [(r.key, r.listings) for r in report.rows]
    assert report.total.discussed == 0
    assert report.total.ready_at_cutoff < report.total.listings


def test_the_demo_goes_live_on_a_monday_and_runs_to_today() -> None:
    start = demo_start(12, TODAY)
    assert start.weekday() == 0
    assert timedelta(days=365) <= TODAY - start < timedelta(days=372)
