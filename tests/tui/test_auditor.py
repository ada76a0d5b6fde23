"""The auditor's workflows from the keyboard, on a real database: the month's information
gaps for one site and the drill-down to the case's patient timeline; an "as of" instant
changing the figures; the table saved as CSV exactly as ``coord report --format csv``
writes it; a trend chart; a refresh when the log advances; a bad period explained."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import ContentSwitcher, DataTable, Input, Select, Static

from coord.app.reporting import build_gaps, build_report
from coord.app.trends import Trend
from coord.cli.main import main
from coord.events.types import HandoverInitiated
from coord.reports import Period
from coord.tui.auditor import VIEWS, AuditorScreen
from coord.tui.timeline import TimelineScreen
from coord.tui.workspace import Workspace

from .b_helpers import lines_painted_early, move_to, settle, table_keys, type_text
from .conftest import NOW, AppFactory, record_all


def _view_index(value: str) -> int:
    return [v for _, v in VIEWS].index(value)


async def choose(pilot: Pilot[Any], selector: str, index: int) -> None:
    """Pick the ``index``-th option of a Select with the keyboard."""
    select = pilot.app.screen.query_one(selector, Select)
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("home", *(["down"] * index), "enter")
    await settle(pilot)


async def fill(pilot: Pilot[Any], selector: str, text: str, *, submit: bool = False) -> None:
    """Replace an Input's text by typing (and press Enter to run)."""
    pilot.app.screen.query_one(selector, Input).focus()
    await pilot.press("end", "ctrl+u")
    await type_text(pilot, text)
    if submit:
        await pilot.press("enter")
        await settle(pilot)


def status(app: Any) -> str:
    return str(app.screen.query_one("#auditor-status", Static).render())


def column(app: Any, name: str) -> list[str]:
    table = app.screen.query_one("#auditor-table", DataTable)
    return [str(v) for v in table.get_column(name)]


async def test_the_months_gaps_for_one_site_lead_to_the_case_timeline(
    workspace: Workspace, make_app: AppFactory
) -> None:
    app = make_app(workspace, mode="auditor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, AuditorScreen)
        await choose(pilot, "#view", _view_index("gaps"))
        await fill(pilot, "#from", "2024-12-01")
        await fill(pilot, "#to", "2025-01-01")
        await fill(pilot, "#site", "S09", submit=True)
        expected = build_gaps(
            workspace.database.store,
            workspace.time_zone,
            Period(date(2024, 12, 1), date(2025, 1, 1)),
            site="S09",
        )
        assert [r.case_id for r in expected.rows] == ["CASE-00015-POSTOP", "CASE-00018-POSTOP"]
        assert column(app, "case_id") == [r.case_id for r in expected.rows]
        assert column(app, "item") == ["pathology_report", "pathology_report"]
        assert column(app, "discussed_at") == ["2024-12-04 12:38", "2024-12-06 08:07"]
        assert status(app) == (
            "information gaps 2024-12-01 to 2025-01-01, site S09 · gaps 1–2 of 2"
        )
        await move_to(pilot, "#auditor-table", "1")
        await pilot.press("enter")
        await settle(pilot)
        timeline = app.screen
        assert isinstance(timeline, TimelineScreen)
        assert timeline.patient_id == "PT00018"
        assert len(table_keys(app, "#timeline")) > 10
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AuditorScreen)


async def test_as_of_shows_the_figures_the_network_knew_then(
    sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    workspace = sqlite_workspace
    app = make_app(workspace, mode="auditor")
    year = Period(date(2024, 1, 1), date(2025, 1, 1))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        live = build_report(
            workspace.database.store, workspace.time_zone, "completeness", year, None
        )
        assert column(app, "discussions")[-1] == str(live.total.discussions)  # type: ignore[attr-defined]
        await fill(pilot, "#as-of", "2024-06-01 00:00", submit=True)
        known_at = datetime(2024, 5, 31, 23, 0, tzinfo=UTC)  # London midnight, BST
        then = build_report(
            workspace.database.store, workspace.time_zone, "completeness", year, None, known_at
        )
        shown = column(app, "discussions")[-1]
        assert shown == str(then.total.discussions)  # type: ignore[attr-defined]
        assert int(shown) < live.total.discussions  # type: ignore[attr-defined]
        assert "as known at 2024-05-31T23:00:00Z" in status(app)


async def test_the_table_is_saved_as_the_clis_csv(
    sample_url: str,
    workspace: Workspace,
    make_app: AppFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = make_app(workspace, mode="auditor")
    target = tmp_path / "by-month.csv"
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await choose(pilot, "#by", 3)  # completeness: presenting_site, pathway, item, month
        assert status(app).startswith("completeness by month 2024-01-01 to 2025-01-01")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+u")
        await type_text(pilot, str(target))
        await pilot.press("enter")
        await settle(pilot)
    args = ["--db", sample_url, "--from", "2024-01-01", "--to", "2025-01-01"]
    assert main(["report", "completeness", *args, "--by", "month", "--format", "csv"]) == 0
    cli = capsys.readouterr().out
    saved = target.read_text(encoding="utf-8")
    assert saved == cli
    assert saved.splitlines()[0].startswith("key,discussions,complete_discussions")
    lines = saved.splitlines()
    assert lines[1].startswith("2024-01,") and lines[-2].startswith("2024-12,")
    assert lines[-1].startswith(",")  # the total, with an empty key


async def test_a_trend_chart_shows_each_months_figures(
    sqlite_workspace: Workspace, make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(sqlite_workspace, mode="auditor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await choose(pilot, "#view", _view_index("chart:turnaround"))
        screen = app.screen
        assert isinstance(screen, AuditorScreen) and screen.result is not None
        trend = screen.result.answer
        assert isinstance(trend, Trend)
        assert trend.months[0] == "2024-01" and len(trend.months) == 12
        assert [s.key for s in trend.series] == [
            "courier",
            "email",
            "iep",
            "other",
            "pacs",
            "portal",
        ]
        switcher = screen.query_one("#auditor-results", ContentSwitcher)
        assert switcher.current == "auditor-chart"
        target = tmp_path / "trend.csv"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+u")
        await type_text(pilot, str(target))
        await pilot.press("enter")
        await settle(pilot)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "month,courier,email,iep,other,pacs,portal"
    assert [line.split(",")[0] for line in lines[1:]] == list(trend.months)


async def test_the_report_refreshes_when_the_log_advances(
    sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    workspace = sqlite_workspace
    app = make_app(workspace, mode="auditor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await choose(pilot, "#view", _view_index("handovers"))
        before = int(column(app, "initiated")[-1])
        record_all(
            workspace,
            (
                HandoverInitiated(
                    handover_id="HO-LATE",
                    patient_id="PT00025",
                    from_site="S01",
                    to_site="S04",
                    from_role="surgeon",
                    to_role="oncologist",
                    reason="adjuvant treatment",
                ),
                NOW - timedelta(hours=1),
            ),
        )
        app.check_log()
        await settle(pilot)
        assert int(column(app, "initiated")[-1]) == before + 1


async def test_a_bad_period_is_explained_and_nothing_runs(
    sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    app = make_app(sqlite_workspace, mode="auditor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await fill(pilot, "#to", "2023-01-01", submit=True)
        assert status(app).startswith("✗ the period from 2024-01-01 to 2023-01-01 is empty")
        await fill(pilot, "#to", "next year", submit=True)
        assert status(app) == "✗ From and To are local dates, YYYY-MM-DD"


async def test_advances_during_a_long_query_rerun_it_once_afterwards(
    sqlite_workspace: Workspace, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a large log a report takes seconds: advances meanwhile must not queue a report
    each, only one more once the answer has arrived."""
    from coord.tui import auditor as auditor_module

    calls: list[object] = []
    gate = threading.Event()
    real = auditor_module.run_query

    def slow(*args: Any) -> Any:
        calls.append(args[2])
        gate.wait(10)
        return real(*args)

    monkeypatch.setattr(auditor_module, "run_query", slow)
    app = make_app(sqlite_workspace, mode="auditor")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AuditorScreen)
        assert len(calls) == 1 and screen.running is not None
        for _ in range(3):
            screen.reload()
        gate.set()
        await settle(pilot)
        assert len(calls) == 2
        assert screen.running is None and screen.result is not None


async def test_a_csv_that_cannot_be_saved_says_why(
    sqlite_workspace: Workspace, make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(sqlite_workspace, mode="auditor")
    target = tmp_path / "no-such-folder" / "report.csv"
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+u")
        await type_text(pilot, str(target))
        await pilot.press("enter")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert f"cannot save the CSV to {target}: no such file or directory" in messages
        assert isinstance(app.screen, AuditorScreen)  # still working
        assert status(app).startswith("completeness by presenting_site")
    assert not target.exists()


async def test_rows_painted_before_the_table_measures_them_show_in_full(
    sqlite_workspace: Workspace, make_app: AppFactory
) -> None:
    """A report's table is painted at its final column widths, however soon after it
    was filled: a row painted before the table measured its cells was cached at the
    headings' widths ("total" shown as "tot" until the cursor moved over it)."""
    app = make_app(sqlite_workspace, mode="auditor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditorScreen) and screen.result is not None
        table = screen.query_one("#auditor-table", DataTable)
        screen._fill_table(screen.result.answer)  # as a refresh fills it again
        lines = await lines_painted_early(pilot, table)
        assert any(line.split()[:1] == ["total"] for line in lines), lines
