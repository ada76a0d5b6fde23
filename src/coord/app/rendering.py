"""Rendering reports and the gaps query: ``json`` (the SPEC's shape), ``csv`` and
``table`` (rich, readable in an 80-column terminal). Shared by ``coord report`` and the
auditor's screen, so that a saved CSV is the same from both."""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from rich import box
from rich.console import Console
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


def _table(
    document: dict[str, Any], columns: list[str], rows: list[dict[str, Any]], width: int | None
) -> str:
    width = width or 80
    if "total" not in document:
        return _print(_gaps_table(document, rows), width)
    labels = ["key", *(_LABELS.get(c, c.replace("_", " ")) for c in columns[1:])]
    cells = [[_cell(row.get(c)) or "-" for c in columns] for row in rows]
    cells[-1][0] = "total"
    wide = [
        max(max(len(w) for w in label.split()), *(len(r[i]) for r in cells))
        for i, label in enumerate(labels)
    ]
    if sum(wide) + 3 * len(wide) <= width:
        table = Table(title=_title(document), box=box.SIMPLE_HEAD, pad_edge=False)
        for index, label in enumerate(labels):
            table.add_column(
                label, justify="left" if index == 0 else "right", min_width=wide[index]
            )
        for index, row in enumerate(cells):
            if index == len(cells) - 1:
                table.add_section()
            table.add_row(*row)
        return _print(table, width)
    return _print_all(_transposed(document, columns, cells, width), width)


def _transposed(
    document: dict[str, Any], columns: list[str], cells: list[list[str]], width: int
) -> list[Table]:
    """Fields as rows and keys as columns, in as many tables as it takes to fit."""
    names = [c.replace("_", " ") for c in columns[1:]]
    label_width = max(len(n) for n in names)
    tables: list[Table] = []
    chunk: list[list[str]] = []
    used = label_width + 2
    for row in cells:
        need = max(len(v) for v in row) + 2
        if chunk and used + need > width:
            tables.append(_field_table(document, names, chunk, len(tables)))
            chunk, used = [], label_width + 2
        chunk.append(row)
        used += need
    if chunk or not tables:
        tables.append(_field_table(document, names, chunk, len(tables)))
    return tables


def _field_table(
    document: dict[str, Any], names: list[str], rows: list[list[str]], part: int
) -> Table:
    title = _title(document) if part == 0 else None
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("")
    for row in rows:
        table.add_column(row[0], justify="right", no_wrap=True)
    for index, name in enumerate(names, start=1):
        table.add_row(name, *(row[index] for row in rows))
    return table


def _short_time(value: str | None) -> str:
    return "" if not value else value.replace("T", " ")[:16]


def _gaps_table(document: dict[str, Any], rows: list[dict[str, Any]]) -> Table:
    table = Table(title=_title(document), box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("case / meeting")
    table.add_column("missing item / arrived by")
    table.add_column("discussed / arrived (UTC)")
    table.add_column("hours late", justify="right")
    table.add_column("chases", justify="right")
    for row in rows:
        table.add_row(
            f"{row['case_id']}\n{row['meeting_id']}",
            f"{row['item']}\n{row['arrived_by'] or 'not arrived'}",
            f"{_short_time(row['discussed_at'])}\n{_short_time(row['arrived_at'])}",
            _cell(row["hours_late"]),
            str(row["chases"]),
        )
    if not rows:
        table.caption = "no information gaps in this period"
    return table


def _print(table: Table, width: int) -> str:
    return _print_all([table], width)


def _print_all(tables: list[Table], width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), highlight=False, emoji=False)
    for table in tables:
        console.print(table)
    return console.export_text().rstrip("\n")
