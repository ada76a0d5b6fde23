"""Column widths given to tables, never left to Textual to measure: the layout does not
depend on when a table measures its cells (so screens, and their snapshots, look the
same however fast the data came).

Textual measures an auto-width column when the table is next idle; a row painted before
that stayed cached at the old widths (the auditor's total "total" shown as "tot", a
navigator's cells cut at their headings) until something else repainted it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable

Cell = str | Text


def add_columns(table: DataTable[str], columns: Sequence[tuple[str, int]]) -> None:
    """Add (label, width) columns; longer cells are cut at the width."""
    for label, width in columns:
        table.add_column(label, width=width)


def fill_table(
    table: DataTable[Cell],
    columns: Sequence[tuple[str, str]],
    rows: Sequence[tuple[str, Sequence[Cell]]],
    *,
    widths: Mapping[str, int] | None = None,
) -> None:
    """Empty ``table`` and fill it with ``columns`` ((key, label)) and ``rows`` ((key,
    cells)), each column as wide as its widest heading line or cell, or as ``widths``
    gives for its key (longer cells are cut there)."""
    fixed = widths or {}
    table.clear(columns=True)
    for index, (key, label) in enumerate(columns):
        width = fixed.get(key)
        if width is None:
            headings = (cell_len(line) for line in label.split("\n"))
            width = max((*headings, *(_cell_width(row[index]) for _, row in rows)))
        table.add_column(label, key=key, width=width)
    for key, cells in rows:
        table.add_row(*cells, key=key)


def _cell_width(cell: Cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(cell)
