"""Fixed column widths for tables: the layout does not depend on when a table measures
its cells (so screens, and their snapshots, look the same however fast the data came)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import DataTable


def add_columns(table: DataTable[str], columns: Sequence[tuple[str, int]]) -> None:
    """Add (label, width) columns; longer cells are cut at the width."""
    for label, width in columns:
        table.add_column(label, width=width)
