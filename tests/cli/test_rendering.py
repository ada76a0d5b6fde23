"""The terminal tables of ``coord gaps`` and ``coord report`` (``--format table``): a
table of thousands of rows shows every value in full in aligned columns, and it is the
text rich prints for the whole table, although only a few rows go through rich's layout
(which took 5-10 s for a year's gaps at a million events)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from coord.app import rendering
from coord.app.rendering import OutputFormat, render
from coord.reports import TransfersReport
from coord.reports.gaps import GapRow, GapsReport

ITEMS = ["mri", "pathology_report", "performance_status", "psa", "ct"]


def _gap(number: int) -> GapRow:
    discussed = datetime(2025, 11, 3, 9, 0) + timedelta(hours=number)
    arrived = number % 3 != 0
    return GapRow(
        case_id=f"C{number:06d}",
        meeting_id=f"PROS-2025-11-{number % 28 + 1:02d}",
        patient_id=f"P{number:06d}",
        pathway="prostate",
        presenting_site=f"S{number % 12 + 1:02d}",
        item=ITEMS[number % len(ITEMS)],
        discussed_at=f"{discussed.isoformat()}Z",
        arrived_at=f"{(discussed + timedelta(minutes=97 * number)).isoformat()}Z"
        if arrived
        else None,
        arrived_by=("transfer" if number % 2 else "received") if arrived else None,
        hours_late=round(Decimal(97 * number) / 60, 2) if arrived else None,
        transfer_ids=[],
        chases=number % 7,
    )


def _gaps(rows: int) -> GapsReport:
    return GapsReport(
        from_date=date(2025, 11, 1),
        to_date=date(2026, 11, 1),
        rows=[_gap(number) for number in range(rows)],
    )


def test_a_table_of_thousands_of_gaps_shows_every_value_in_aligned_columns() -> None:
    report = _gaps(3000)
    lines = render(report, OutputFormat.table, width=80).splitlines()
    assert max(len(line) for line in lines) <= 80
    heading = lines.index(next(line for line in lines if line.startswith(" case / meeting")))
    body = lines[heading + 2 : -1]
    assert len(body) == 2 * len(report.rows)  # two lines a gap, the box's bottom after
    # each column starts where its heading does, on every line
    starts = [lines[heading].index(h) for h in ("arrived by", "arrived (UTC)")]
    for row, first, second in zip(report.rows, body[::2], body[1::2], strict=True):
        discussed = row.discussed_at.strftime("%Y-%m-%d %H:%M")
        assert first.split() == [
            row.case_id,
            row.item,  # in full: rich's own layout cut "performance_status" short
            *discussed.split(),
            *([] if row.hours_late is None else [str(row.hours_late)]),
            str(row.chases),
        ]
        assert first[starts[0] :].startswith(row.item)
        assert first[starts[1] :].startswith(discussed)
        assert second.split()[:2] == [row.meeting_id, row.arrived_by or "not"]
        assert second[starts[0] :].startswith(row.arrived_by or "not arrived")


def _grids() -> list[tuple[str, rendering._Grid]]:
    """Tables of every shape the commands print, with cells rich must wrap, cut short or
    read as markup among plain ones."""
    report = _gaps(400).model_dump(mode="json")
    odd = [dict(row) for row in report["rows"][:40]]
    odd[3]["item"] = "an item with a name far too long for its column"
    odd[5]["case_id"] = "[bold]C5[/bold]"
    odd[7]["meeting_id"] = "café-réunion"
    odd[9]["item"] = " padded "
    odd[11]["arrived_by"] = "two\nlines"
    keys = [f"S{number:02d}" for number in range(30)]
    fields = ["key", "requested", "received", "median_hours", "chased_transfers"]
    cells = [[key, *(str(7 * n + len(f)) for f in fields[1:])] for n, key in enumerate(keys)]
    wide = [["key", "requested", "received", "median hours", "chased"]]
    return [
        ("gaps", rendering._gaps_grid(report, report["rows"])),
        ("odd gaps", rendering._gaps_grid(report, odd)),
        ("no gaps", rendering._gaps_grid(report, [])),
        (
            "report",
            rendering._Grid(
                "transfers",
                [
                    rendering._Column(label, "left" if i == 0 else "right", min_width=len(label))
                    for i, label in enumerate(wide[0])
                ],
                [*cells, ["total", "1", "2", "3", "4"]],
                total_last=True,
            ),
        ),
        *(
            (f"fields {part}", grid)
            for part, grid in enumerate(
                rendering._transposed({"report": "transfers", **report}, fields, cells, 80)
            )
        ),
    ]


@pytest.mark.parametrize("width", [80, 57, 120])
@pytest.mark.parametrize(("name", "grid"), _grids(), ids=[name for name, _ in _grids()])
def test_a_table_is_the_text_rich_prints_for_it(name: str, grid: Any, width: int) -> None:
    console = rendering._console(width)
    whole = rendering._rich_lines(console, rendering._rich_table(grid, grid.rows))
    assert rendering._grid_lines(console, grid) == whole


def test_a_wide_report_that_rich_would_cut_short_is_shown_with_fields_as_rows() -> None:
    """With its columns' minimum widths, rich laid this report out wider than 100
    columns and the terminal cut its last column off: it is shown transposed instead."""
    rows = [
        {
            "key": key,
            "requested": 19,
            "received": 16,
            "failed": 0,
            "open": 3,
            "median_hours": "18.76",
            "p90_hours": "241.63",
            "chased_transfers": 4,
            "chases": 12,
        }
        for key in ("clinic_letter", "clinical_summary", "endoscopy_report", "imaging")
    ]
    report = TransfersReport.model_validate(
        {
            "report": "transfers",
            "from": "2023-01-01",
            "to": "2026-01-01",
            "by": "item",
            "rows": rows,
            "total": {**rows[0], "key": None, "chases": 4242},
        }
    )
    text = render(report, OutputFormat.table, width=100)
    assert max(len(line) for line in text.splitlines()) <= 100
    figures = list(csv.reader(io.StringIO(render(report, OutputFormat.csv))))
    for figure in {value for row in figures[1:] for value in row if value}:
        assert figure in text
    assert "4242" in text


def test_a_rich_without_its_layout_step_prints_the_same_tables_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fast path borrows rich's column layout (a private method of ``Table``); a rich
    release without it must not break ``--format table``: rich then lays out every row."""
    report = _gaps(40)
    fast = render(report, OutputFormat.table, width=80)
    monkeypatch.setattr(rendering, "_RICH_LAYOUT", None)
    assert render(report, OutputFormat.table, width=80) == fast
