"""The read models' figure columns, which the live reports aggregate in SQL: each one
agrees with the record in the row's payload; day counts follow the network's time zone
(recomputed when ``coord init --tz`` changes it); and every count of a report's tally is
summed in SQL, so none silently stays 0."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from coord.app.database import Database, initialise
from coord.app.importing import import_files
from coord.app.reporting import build_report
from coord.projections import live
from coord.reports import REPORTS, Period, compute
from coord.reports.completeness import CompletenessTally
from coord.reports.handovers import HandoversTally
from coord.reports.referrals import ReferralsTally
from coord.reports.transfers import TransfersTally
from coord.store.schema import FIGURE_NAMES, read_models

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample-network.jsonl"
WIDE = Period(date(2020, 1, 1), date(2030, 1, 1))
AFTER_EVERYTHING = datetime(2100, 1, 1, tzinfo=UTC)


@pytest.fixture
def sample(db_url: str) -> Iterator[Database]:
    database = initialise(db_url)
    import_files(database.store, [SAMPLE], on_rejection=print)
    yield database
    database.close()


def stored_rows(database: Database) -> list[dict[str, Any]]:
    with database.store.reading() as reader:
        return [dict(r._mapping) for r in reader.connection.execute(select(read_models))]


def instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def micros(start: str, end: str | None) -> int | None:
    if end is None:
        return None
    delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return round(delta.total_seconds() * 1_000_000)


def days(clock_start: str, at: str | None, zone: ZoneInfo) -> int | None:
    moment = instant(at)
    if moment is None:
        return None
    return (moment.astimezone(zone).date() - date.fromisoformat(clock_start)).days


def expected_figures(kind: str, p: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """What each kind's figure columns must say, read off its payload independently."""
    if kind == "transfer":
        return {
            "from_site": p["from_site"], "to_site": p["to_site"], "item": p["item"],
            "method": p["method"], "elapsed_us": micros(p["requested_at"], p["received_at"]),
            "failed": int(p["failed_at"] is not None), "chases": p["chases"],
        }  # fmt: skip
    if kind == "handover":
        return {
            "from_site": p["from_site"], "to_site": p["to_site"],
            "elapsed_us": micros(p["initiated_at"], p["acknowledged_at"]),
            "declined": int(p["declined_at"] is not None),
            "completed": int(p["completed_at"] is not None),
        }  # fmt: skip
    if kind == "referral":
        return {
            "from_site": p["from_site"], "to_site": p["to_site"], "pathway": p["pathway"],
            "received_days": days(p["clock_start"], p["received_at"], zone),
            "treated_days": days(p["clock_start"], p["treatment_at"], zone),
            "accepted": int(p["accepted_at"] is not None),
            "rejected": int(p["rejected_at"] is not None),
        }  # fmt: skip
    if kind == "meeting":
        return {
            "host_site": p["host_site"], "pathway": p["pathway"],
            "technical_issues": p["technical_issues"],
            "sites_present": len(p["sites_present"]), "groups_present": len(p["groups_present"]),
        }  # fmt: skip
    if kind == "discussion":
        return {
            "presenting_site": p["presenting_site"], "pathway": p["pathway"],
            "required_items": len(p["required_items"]),
            "available_items": len(p["available_items"]),
        }  # fmt: skip
    if kind == "deferral":
        return {
            "presenting_site": p["presenting_site"], "pathway": p["pathway"],
            "reason": p["reason"],
        }  # fmt: skip
    if kind == "gap":
        return {"presenting_site": p["presenting_site"], "pathway": p["pathway"], "item": p["item"]}
    if kind == "listing":
        return {
            "presenting_site": p["presenting_site"], "pathway": p["pathway"],
            "ready_at_cutoff": int(p["ready_at_cutoff"]),
        }  # fmt: skip
    return {}


def check_figures(database: Database, zone: ZoneInfo) -> None:
    rows = stored_rows(database)
    kinds = {row["kind"] for row in rows}
    assert {"transfer", "handover", "referral", "meeting", "discussion", "listing"} <= kinds
    for row in rows:
        expected = expected_figures(row["kind"], row["payload"], zone)
        stored = {name: row[name] for name in FIGURE_NAMES}
        assert stored == {name: expected.get(name) for name in FIGURE_NAMES}, row["owner"]


def test_every_figure_column_agrees_with_its_payload(sample: Database) -> None:
    check_figures(sample, ZoneInfo("Europe/London"))


def test_changing_the_time_zone_recomputes_the_day_counts(sample: Database, db_url: str) -> None:
    """Day counts are local dates: after ``coord init --tz`` they are those of the new
    zone, and the live referrals report agrees with a replay in it."""
    sample.close()
    database = initialise(db_url, "Pacific/Kiritimati")  # UTC+14: many dates move
    try:
        zone = database.time_zone
        check_figures(database, zone)
        with database.store.reading() as reader:
            events = [s.event for s in reader.read_all()]
        for by in REPORTS["referrals"].by_keys:
            live_report = build_report(database.store, zone, "referrals", WIDE, by)
            replayed = compute(events, "referrals", WIDE, by, zone, as_of=AFTER_EVERYTHING)
            assert live_report.model_dump(exclude={"as_of"}) == replayed.model_dump(
                exclude={"as_of"}
            )
    finally:
        database.close()


def test_a_report_in_another_time_zone_than_the_stored_one_is_still_exact(
    sample: Database,
) -> None:
    """The stored day counts are London's; asked in another zone, the referrals report
    is computed from the records instead, and agrees with a replay."""
    zone = ZoneInfo("Pacific/Kiritimati")
    with sample.store.reading() as reader:
        events = [s.event for s in reader.read_all()]
        assert live.aggregated_report(reader.connection, "referrals", WIDE, None, zone) is None
    live_report = build_report(sample.store, zone, "referrals", WIDE, None)
    replayed = compute(events, "referrals", WIDE, None, zone, as_of=AFTER_EVERYTHING)
    assert live_report.model_dump(exclude={"as_of"}) == replayed.model_dump(exclude={"as_of"})


@pytest.mark.parametrize(
    ("counts", "tally", "ranked_field"),
    [
        (live._TRANSFER_COUNTS, TransfersTally, "receipt_us"),
        (live._HANDOVER_COUNTS, HandoversTally, "ack_us"),
        (live._REFERRAL_COUNTS, ReferralsTally, "receipt_days"),
        ({**live._DISCUSSION_COUNTS, **live._DEFERRAL_COUNTS}, CompletenessTally, None),
    ],
    ids=["transfers", "handovers", "referrals", "completeness"],
)
def test_sql_sums_every_count_of_a_tally(
    counts: dict[str, Any], tally: type[Any], ranked_field: str | None
) -> None:
    fields = {f.name for f in dataclasses.fields(tally)}
    assert set(counts) | ({ranked_field} if ranked_field else set()) == fields
