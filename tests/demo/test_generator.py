"""The seeded generator: valid logs (Ledger and both databases), determinism, trends."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from coord.app.importing import LineRejection, import_files
from coord.cli.generate_command import register
from coord.demo import DEFAULT_START, generate, load_network
from coord.demo.generator import add_months
from coord.demo.network import NetworkError, parse_network
from coord.domain import InMemoryLog, Rejected, is_valid_nhs_number
from coord.events import Event, decode_event
from coord.events.types import CaseListed, EventRetracted, PatientRegistered, ProtocolPublished
from coord.store import EventStore

from .trends import LONDON, figures, live

AFTER_THE_LOG = datetime(2030, 1, 1, tzinfo=UTC)


@cache
def generated(seed: int, months: int, scale: float) -> bytes:
    out = io.BytesIO()
    generate(load_network(), seed=seed, months=months, scale=scale, out=out)
    return out.getvalue()


@cache
def decoded(seed: int, months: int, scale: float) -> tuple[Event, ...]:
    return tuple(
        decode_event(json.loads(line)) for line in generated(seed, months, scale).splitlines()
    )


def small() -> tuple[Event, ...]:
    return decoded(11, 3, 0.3)


def year() -> tuple[Event, ...]:
    return decoded(3, 12, 0.5)


# --- the network -----------------------------------------------------------------------


def test_network_fixture_describes_the_centralised_network() -> None:
    net = load_network()
    assert len(net.sites) == 12
    assert 3_100_000 <= net.population <= 3_300_000
    specialist = {s.id: set(s.specialist_for) for s in net.sites if s.specialist_for}
    assert sorted(map(sorted, specialist.values())) == [
        ["bladder", "prostate"],
        ["kidney"],
        ["oesophago-gastric"],
    ]
    assert len(net.sites) - len(specialist) == 9
    first = {p.pathway: set(p.required_items) for p in net.protocols if not p.revision}
    assert first["oesophago-gastric"] == {
        "imaging",
        "pet_ct",
        "endoscopy_report",
        "pathology_report",
        "performance_status",
    }
    assert {"mri", "psa", "pathology_report"} <= first["prostate"]
    assert sum(1 for p in net.protocols if p.revision) == 1


def test_network_errors_name_the_setting() -> None:
    with pytest.raises(NetworkError, match=r"\[network\] is missing"):
        parse_network({})


# --- validity ------------------------------------------------------------------------------


def test_every_generated_event_is_accepted_by_the_ledger() -> None:
    events = small()
    decisions = InMemoryLog().append_all(
        events, time_zone=LONDON, now=AFTER_THE_LOG, raise_on_reject=False
    )
    rejected = [
        f"line {i + 1} {events[i].type}: {d.reason}"
        for i, d in enumerate(decisions)
        if isinstance(d, Rejected)
    ]
    assert rejected == []
    assert len(events) > 2000


def test_a_year_at_full_scale_is_accepted_by_the_ledger() -> None:
    """Across both clock changes, the protocol revision and the turn of the year."""
    events = decoded(5, 13, 1.0)
    decisions = InMemoryLog().append_all(
        events, time_zone=LONDON, now=AFTER_THE_LOG, raise_on_reject=False
    )
    assert [d.reason for d in decisions if isinstance(d, Rejected)] == []


def test_recorded_at_never_decreases_and_never_precedes_occurrence() -> None:
    events = small()
    recorded = [e.recorded_at for e in events if e.recorded_at is not None]
    assert len(recorded) == len(events)
    assert recorded == sorted(recorded)
    assert all(e.recorded_at is not None and e.recorded_at >= e.occurred_at for e in events)
    end = datetime(2025, 4, 6, tzinfo=LONDON)
    assert all(e.recorded_at is not None and e.recorded_at <= end for e in events)


def test_generated_log_imports_with_zero_invalid_lines(store: EventStore, tmp_path: Path) -> None:
    path = tmp_path / "demo.jsonl"
    path.write_bytes(generated(11, 3, 0.3))
    rejections: list[LineRejection] = []
    result = import_files(store, [path], on_rejection=rejections.append, now=AFTER_THE_LOG)
    assert [str(r) for r in rejections] == []
    assert result.imported == len(small())
    assert result.duplicates == 0


def test_nhs_numbers_are_valid_fictional_and_unique() -> None:
    numbers = [
        e.data.nhs_number
        for e in year()
        if isinstance(e.data, PatientRegistered) and e.data.nhs_number is not None
    ]
    assert len(numbers) > 500
    assert all(is_valid_nhs_number(n) and n.startswith("999") for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_protocol_revision_follows_every_listing_of_its_pathway() -> None:
    events = year()
    [revision] = [
        (i, e)
        for i, e in enumerate(events)
        if isinstance(e.data, ProtocolPublished) and e.data.version > 1
    ]
    index, published = revision
    assert isinstance(published.data, ProtocolPublished)
    pathway = published.data.pathway
    listings = [
        (i, e)
        for i, e in enumerate(events)
        if isinstance(e.data, CaseListed) and e.data.pathway == pathway
    ]
    assert all(e.occurred_at < published.occurred_at for i, e in listings if i < index)
    assert all(e.occurred_at > published.occurred_at for i, e in listings if i > index)
    assert any(i > index for i, _ in listings)
    middle = datetime(2025, 7, 6, tzinfo=LONDON)
    assert abs(published.occurred_at - middle) < timedelta(days=8)


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_gives_the_same_bytes() -> None:
    out = io.BytesIO()
    generate(load_network(), seed=11, months=3, scale=0.3, out=out)
    assert out.getvalue() == generated(11, 3, 0.3)


def test_different_seeds_give_different_logs() -> None:
    assert generated(12, 3, 0.3) != generated(11, 3, 0.3)


def test_scale_multiplies_patient_volume() -> None:
    def patients(scale: float) -> int:
        return sum(e.type == "PatientRegistered" for e in decoded(11, 3, scale))

    assert 2.2 < patients(0.9) / patients(0.3) < 3.8


def test_months_are_calendar_months() -> None:
    assert add_months(DEFAULT_START, 12).isoformat() == "2026-01-06"
    assert add_months(DEFAULT_START.replace(day=31), 1).isoformat() == "2025-02-28"


# --- the network's behaviour -------------------------------------------------------------------


def test_completeness_improves_from_first_to_last_quarter() -> None:
    found = figures(year(), DEFAULT_START)
    first, last = found.share_complete([0, 1, 2]), found.share_complete([9, 10, 11])
    assert first < 0.85
    assert last > first + 0.08


def test_video_link_issues_per_meeting_fall() -> None:
    found = figures(year(), DEFAULT_START)
    first, last = found.issues_per_meeting([0, 1, 2]), found.issues_per_meeting([9, 10, 11])
    assert first > 0.5
    assert last < first / 3


def test_remote_sites_bring_surgeons_and_nurses_far_more_than_radiologists() -> None:
    found = figures(year(), DEFAULT_START)
    remote = found.remote_presence
    assert remote["surgeon"] > 2 * remote["radiologist"]
    assert remote["cns"] > 2 * remote["oncologist"]
    assert remote["surgeon"] > 3 * remote["ahp"]
    assert found.meetings_with["radiologist"] < found.meetings_with["surgeon"]


def test_most_referrals_are_received_by_day_38() -> None:
    days = figures(year(), DEFAULT_START).received_days
    assert len(days) > 500
    assert 0.8 < sum(d <= 38 for d in days) / len(days) < 1.0


def test_transfers_differ_by_method_and_some_are_chased_or_fail() -> None:
    events = year()
    requested = {e.subject: e for e in events if e.type == "TransferRequested"}
    hours: dict[str, list[float]] = {}
    for e in events:
        if e.type == "TransferReceived":
            start = requested[e.subject]
            method = str(start.written_data["method"])
            hours.setdefault(method, []).append(
                (e.occurred_at - start.occurred_at).total_seconds() / 3600
            )
    medians = {m: sorted(v)[len(v) // 2] for m, v in hours.items()}
    assert {"pacs", "iep", "email", "portal", "courier"} <= set(medians)
    assert medians["pacs"] < medians["iep"] < medians["courier"]
    types = Counter(e.type for e in events)
    assert types["TransferChased"] > 100
    assert types["TransferFailed"] > 10


def test_deferrals_relistings_handovers_and_actions_occur() -> None:
    events = live(year())
    types = Counter(e.type for e in events)
    reasons = Counter(str(e.written_data["reason"]) for e in events if e.type == "CaseDeferred")
    assert reasons["missing_information"] > 50
    assert len(reasons) >= 3
    assert types["CaseRelisted"] > 50
    assert types["HandoverDeclined"] > 5
    assert types["HandoverAcknowledged"] > types["HandoverDeclined"] * 5
    assert types["ActionCompleted"] < types["ActionAgreed"]
    assert types["OutcomeCommunicated"] > 0 and types["TreatmentStarted"] > 0
    assert types["ReferralRejected"] > 0 and types["ItemWaived"] > 0
    # in-flight lifecycles are left open at the end
    assert types["CaseListed"] > types["CaseDiscussed"] - types["CaseRelisted"]


def test_corrections_and_late_logging_occur() -> None:
    events = year()
    by_id = {e.event_id: e for e in events}
    targets = [by_id[e.data.event_id] for e in events if isinstance(e.data, EventRetracted)]
    assert len(targets) > 10
    assert {t.type for t in targets} == {"ItemReceived", "TransferChased"}
    late = Counter(
        e.type
        for e in events
        if e.recorded_at is not None and e.recorded_at - e.occurred_at > timedelta(hours=20)
    )
    assert late["TransferReceived"] > 10
    assert late["CaseDiscussed"] > 10
    assert late["ItemReceived"] > 10


# --- the command -------------------------------------------------------------------------------


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _main() -> None:
        """coord (test app)"""

    register(app)
    return app


def test_generate_command_writes_the_file_atomically_and_says_so(tmp_path: Path) -> None:
    target = tmp_path / "demo.jsonl"
    args = ["generate", "--seed", "11", "--months", "3", "--scale", "0.3", "-o", str(target)]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == generated(11, 3, 0.3)
    assert f"generated {len(small())} events to {target}" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["demo.jsonl"]


def test_generate_command_writes_to_standard_output() -> None:
    args = ["generate", "--seed", "11", "--months", "1", "--scale", "0.3", "-o", "-"]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0
    out = io.BytesIO()
    generate(load_network(), seed=11, months=1, scale=0.3, out=out)
    assert result.stdout_bytes == out.getvalue()


def test_generate_command_rejects_a_bad_start_date(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["generate", "--start", "2025-13-01", "-o", "x"])
    assert result.exit_code == 2
    assert "not a date" in result.output + result.stderr
