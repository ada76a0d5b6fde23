"""Read models: covering indexes, so that the reports read index entries, not rows.

``(kind, at)`` becomes ``(kind, at, owner, <every figure column>)``: each report's
``GROUP BY`` over a period, and the gaps query's search for incomplete discussions, read
only the index. ``(kind, ref)`` becomes ``(kind, ref, owner, item, chases,
ready_at_cutoff)``: the meetings report counts the steps naming its meetings, and the
gaps query finds the transfers of a case, without reading the rows (whose JSON payloads
make them several times as wide). The rows themselves are unchanged: no rebuild.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the figure columns of migration 0003, in the order of ``coord.store.schema``
FIGURES = (
    "from_site", "to_site", "presenting_site", "host_site", "pathway", "item", "method",
    "reason", "elapsed_us", "received_days", "treated_days", "failed", "declined",
    "completed", "accepted", "rejected", "chases", "required_items", "available_items",
    "ready_at_cutoff", "technical_issues", "sites_present", "groups_present",
)  # fmt: skip
#: (old name, old columns, new name, new columns)
INDEXES = (
    (
        "ix_read_models_kind_at",
        ["kind", "at"],
        "ix_read_models_kind_at_figures",
        ["kind", "at", "owner", *FIGURES],
    ),
    (
        "ix_read_models_kind_ref",
        ["kind", "ref"],
        "ix_read_models_kind_ref_owner",
        ["kind", "ref", "owner", "item", "chases", "ready_at_cutoff"],
    ),
)


def upgrade() -> None:
    for old, _, new, columns in INDEXES:
        op.drop_index(old, table_name="read_models")
        op.create_index(new, "read_models", columns)


def downgrade() -> None:
    for old, old_columns, new, _ in INDEXES:
        op.drop_index(new, table_name="read_models")
        op.create_index(old, "read_models", old_columns)
