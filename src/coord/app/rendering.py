"""Rendering reports and the gaps query: ``json`` (the SPEC's shape), ``csv`` and
``table`` (rich, readable in an 80-column terminal). Shared by ``coord report`` and the
auditor's screen, so that a saved CSV is the same from both."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel
from rich import box
from rich.console import Console, ConsoleOptions
from rich.table import Table


class OutputFormat(StrEnum):
    json = "json"
    csv = "csv"
    table = "table"


#: short column headings for the table, so that a report fits 80 columns
_LABELS = {
    "discussions": "discus- sions",
    "complete_discussions": "complete",
    "case_completeness": "case compl.",
    "items_required": "items req.",
    "items_available": "items avail.",
    "item_completeness": "item compl.",
    "deferrals": "defer- rals",
    "deferrals_missing_information": "deferred missing info",
    "deferral_rate_missing_information": "missing info rate",
    "requested": "reques- ted",
    "chased_transfers": "chased",
    "median_hours": "median hours",
    "p90_hours": "p90 hours",
    "initiated": "initia- ted",
    "acknowledged": "acknow- ledged",
    "completed": "comple- ted",
    "median_hours_to_ack": "median hours to ack",
    "p90_hours_to_ack": "p90 hours to ack",
    "acknowledged_within_48h": "ack within 48h",
    "referrals": "refer- rals",
    "median_days_to_receipt": "median days to receipt",
    "received_by_day_38": "by day 38",
    "day_38_rate": "day 38 rate",
    "treated_within_62_days": "within 62 days",
    "day_62_rate": "day 62 rate",
    "ready_at_cutoff": "ready at cutoff",
    "technical_issues": "tech. issues",
    "sites_present": "sites present",
    "groups_present": "groups present",
    "presenting_site": "site",
    "discussed_at": "discussed at",
    "arrived_at": "arrived at",
    "arrived_by": "by",
    "hours_late": "hours late",
    "transfer_ids": "transfers",
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def _rows(document: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of a report (its total last, with an empty key) or of gaps."""
    rows: list[dict[str, Any]] = list(document["rows"])
    if "total" in document:
        rows.append(document["total"])
        columns = list(document["total"])
    else:
        columns = list(rows[0]) if rows else []
    return columns, rows


def render(result: BaseModel, output: OutputFormat, *, width: int | None = None) -> str:
    """The text of a report or gaps query in the chosen format."""
    document = result.model_dump(mode="json")
    if output is OutputFormat.json:
        return json.dumps(document, indent=1, ensure_ascii=False)
    columns, rows = _rows(document)
    if output is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
        return buffer.getvalue().rstrip("\n")
    return _table(document, columns, rows, width)


def _title(document: dict[str, Any]) -> str:
    name = document.get("report") or document.get("query")
    title = f"{name} {document['from']} to {document['to']}"
    if document.get("by"):
        title += f" by {document['by']}"
    for option in ("site", "pathway"):
        if document.get(option):
            title += f", {option} {document[option]}"
    if document.get("as_of"):
        title += f", as known at {document['as_of']}"
    return title


@dataclass(frozen=True)
class _Column:
    heading: str
    justify: Literal["left", "right"] = "left"
    min_width: int | None = None
    no_wrap: bool = False


@dataclass
class _Grid:
    """A table to print: its columns and rows of plain text (``\\n`` between a cell's
    lines), before rich or :func:`_grid_lines` lays it out."""

    title: str | None
    columns: list[_Column]
    rows: list[list[str]] = field(default_factory=list)
    #: a rule (a blank line in this box) before the last row: the report's total
    total_last: bool = False
    caption: str | None = None


def _table(
    document: dict[str, Any], columns: list[str], rows: list[dict[str, Any]], width: int | None
) -> str:
    width = width or 80
    if "total" not in document:
        return _print_all([_gaps_grid(document, rows)], width)
    labels = ["key", *(_LABELS.get(c, c.replace("_", " ")) for c in columns[1:])]
    cells = [[_cell(row.get(c)) or "-" for c in columns] for row in rows]
    cells[-1][0] = "total"
    wide = [
        max(max(len(w) for w in label.split()), *(len(r[i]) for r in cells))
        for i, label in enumerate(labels)
    ]
    if sum(wide) + 3 * len(wide) <= width:
        table = _Grid(
            _title(document),
            [
                _Column(label, "left" if index == 0 else "right", min_width=wide[index])
                for index, label in enumerate(labels)
            ],
            cells,
            total_last=True,
        )
        if _fits(table, width):
            return _print_all([table], width)
    return _print_all(_transposed(document, columns, cells, width), width)


def _transposed(
    document: dict[str, Any], columns: list[str], cells: list[list[str]], width: int
) -> list[_Grid]:
    """Fields as rows and keys as columns, in as many tables as it takes to fit."""
    names = [c.replace("_", " ") for c in columns[1:]]
    label_width = max(len(n) for n in names)
    grids: list[_Grid] = []
    chunk: list[list[str]] = []
    used = label_width + 2
    for row in cells:
        need = max(len(v) for v in row) + 2
        if chunk and used + need > width:
            grids.append(_field_grid(document, names, chunk, len(grids)))
            chunk, used = [], label_width + 2
        chunk.append(row)
        used += need
    if chunk or not grids:
        grids.append(_field_grid(document, names, chunk, len(grids)))
    return grids


def _field_grid(
    document: dict[str, Any], names: list[str], rows: list[list[str]], part: int
) -> _Grid:
    return _Grid(
        _title(document) if part == 0 else None,
        [_Column(""), *(_Column(row[0], "right", no_wrap=True) for row in rows)],
        [[name, *(row[index] for row in rows)] for index, name in enumerate(names, start=1)],
    )


def _short_time(value: str | None) -> str:
    return "" if not value else value.replace("T", " ")[:16]


def _gaps_grid(document: dict[str, Any], rows: list[dict[str, Any]]) -> _Grid:
    return _Grid(
        _title(document),
        [
            _Column("case / meeting"),
            # the headings' own line breaks, not rich's: wrapped by rich, they took the
            # widths of the columns below them, which then cut item names short
            _Column("missing item /\narrived by"),
            _Column("discussed /\narrived (UTC)"),
            _Column("hours late", "right"),
            _Column("chases", "right"),
        ],
        [
            [
                f"{row['case_id']}\n{row['meeting_id']}",
                f"{row['item']}\n{row['arrived_by'] or 'not arrived'}",
                f"{_short_time(row['discussed_at'])}\n{_short_time(row['arrived_at'])}",
                _cell(row["hours_late"]),
                str(row["chases"]),
            ]
            for row in rows
        ],
        caption=None if rows else "no information gaps in this period",
    )


# Printing. rich lays a table out by measuring every cell, then renders every cell
# through its text wrapping: for the gaps of a year at a million events (~6,000 rows)
# that took 5-10 s. Here rich still decides the column widths and prints the title and
# the headings, but it measures only the rows that hold each column's widest line or
# longest word (the only ones its widths depend on), and a row whose cells fit their
# columns on plain lines is padded here; any other row (one rich would wrap, style or
# cut short) is printed by rich at the same widths. The text is the same as rich
# printing the whole table (tests/cli/test_rendering.py compares them).


def _console(width: int) -> Console:
    return Console(width=width, record=True, file=io.StringIO(), highlight=False, emoji=False)


def _print_all(grids: list[_Grid], width: int) -> str:
    console = _console(width)
    lines: list[str] = []
    for grid in grids:
        lines.extend(_grid_lines(console, grid))
    return "\n".join(lines).rstrip("\n")


def _rich_table(
    grid: _Grid, rows: list[list[str]], *, widths: list[int] | None = None, head: bool = True
) -> Table:
    """The grid as a rich table of the given rows (the title and headings only with
    ``head``); with ``widths``, its columns are fixed at those widths (padding included,
    as rich counts them), even where they add up to more than the terminal's width."""
    table = Table(
        title=grid.title if head else None,
        caption=grid.caption if head else None,
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_header=head,
        width=None if widths is None else sum(widths) + _borders(grid),
    )
    last = len(grid.columns) - 1
    for index, column in enumerate(grid.columns):
        table.add_column(
            column.heading,
            justify=column.justify,
            min_width=column.min_width,
            no_wrap=column.no_wrap,
            width=None if widths is None else widths[index] - _padding(index, last),
        )
    for index, row in enumerate(rows):
        if grid.total_last and index == len(rows) - 1 and index > 0:
            table.add_section()
        table.add_row(*row)
    return table


def _padding(index: int, last: int) -> int:
    """The padding rich puts around a column's cells: a space each side, none at the
    table's edges (``pad_edge=False``)."""
    return (index > 0) + (index < last)


def _borders(grid: _Grid) -> int:
    """The width of the box's edges and column dividers: a space each."""
    return len(grid.columns) + 1


def _rich_lines(console: Console, table: Table) -> list[str]:
    console.print(table)
    return console.export_text(clear=True).split("\n")[:-1]


def _plain(cell: str) -> list[str] | None:
    """The cell's lines if rich prints them as they are (no markup, no control or wide
    characters, no space at either end), else None."""
    lines = cell.split("\n")
    for line in lines:
        if not (line.isascii() and line.isprintable()) or "[" in line or line != line.strip():
            return None
    return lines


#: rich's own column layout step (a private method of ``Table``, there since rich 10);
#: None in a rich without it
_RICH_LAYOUT: Callable[[Table, Console, ConsoleOptions], list[int]] | None = getattr(
    Table, "_calculate_column_widths", None
)


def _widths(console: Console, grid: _Grid, rows: list[list[list[str] | None]]) -> list[int] | None:
    """The widths rich gives the grid's columns (padding included), measuring only the
    rows that hold each column's widest line and longest word, and the rows that are not
    plain: its widths depend on nothing else. ``rows`` are the grid's cells as
    :func:`_plain` splits them. None if this rich has no such layout step (then rich
    prints the whole table itself, slower but the same)."""
    if _RICH_LAYOUT is None:
        return None
    measured = {number for number, row in enumerate(rows) if None in row}
    numbers = range(len(rows))
    for index in range(len(grid.columns)):
        widest = [-1 if (lines := row[index]) is None else max(map(len, lines)) for row in rows]
        longest_word = [max(map(len, row[index].split()), default=0) for row in grid.rows]
        measured.add(max(numbers, key=widest.__getitem__))
        measured.add(max(numbers, key=longest_word.__getitem__))
    sample = _rich_table(grid, [grid.rows[number] for number in sorted(measured)])
    options = console.options.update_width(console.width - _borders(grid))
    # rich's own layout (a private method, stable since rich 10): the tests compare the
    # result with rich printing the whole table, so a change in rich shows there
    widths: list[int] = _RICH_LAYOUT(sample, console, options)
    return widths


def _fits(grid: _Grid, width: int) -> bool:
    """Whether rich lays the grid out within ``width`` but for the right edge (a blank):
    with columns that keep a ``min_width`` it may not, and the terminal cuts it short."""
    rows = [[_plain(cell) for cell in row] for row in grid.rows]
    widths = _widths(_console(width), grid, rows)
    return widths is None or sum(widths) + _borders(grid) - 1 <= width


def _grid_lines(console: Console, grid: _Grid) -> list[str]:
    if not grid.rows or grid.caption:
        return _rich_lines(console, _rich_table(grid, grid.rows))
    rows = [[_plain(cell) for cell in row] for row in grid.rows]
    widths = _widths(console, grid, rows)
    if widths is None:
        return _rich_lines(console, _rich_table(grid, grid.rows))
    last = len(grid.columns) - 1
    rooms = [width - _padding(index, last) for index, width in enumerate(widths)]
    if min(rooms) < 1:
        return _rich_lines(console, _rich_table(grid, grid.rows))
    # the title, the box's top (a blank line), the headings and their rule
    lines = _rich_lines(console, _rich_table(grid, [], widths=widths))[:-1]
    width = console.width
    blank = " " * (sum(widths) + _borders(grid))
    right = [column.justify == "right" for column in grid.columns]
    for number, (row, cells) in enumerate(zip(rows, grid.rows, strict=True)):
        if grid.total_last and number == len(rows) - 1 and number > 0:
            lines.append(blank[:width])
        plain = [
            lines_
            for lines_, room in zip(row, rooms, strict=True)
            if lines_ is not None and all(len(line) <= room for line in lines_)
        ]
        if len(plain) < len(row):
            one_row = _rich_table(grid, [cells], widths=widths, head=False)
            lines.extend(_rich_lines(console, one_row)[1:-1])  # without the box's top and bottom
            continue
        for line_number in range(max(len(lines_) for lines_ in plain)):
            text = [lines_[line_number] if line_number < len(lines_) else "" for lines_ in plain]
            padded = [
                value.rjust(room) if to_right else value.ljust(room)
                for value, room, to_right in zip(text, rooms, right, strict=True)
            ]
            lines.append(f" {'   '.join(padded)} "[:width])
    lines.append(blank[:width])  # the box's bottom
    return lines
