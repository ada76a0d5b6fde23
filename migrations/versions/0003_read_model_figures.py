"""Read models: typed figure columns the reports aggregate in SQL; recomputed by the
rebuild that ``coord init`` runs when it finds the read models behind the log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = ("from_site", "to_site", "presenting_site", "host_site", "pathway", "item", "method")
COLUMNS: tuple[tuple[str, sa.types.TypeEngine[object]], ...] = (
    *((name, sa.Text()) for name in (*TEXT, "reason")),
    ("elapsed_us", sa.BigInteger()),
    ("received_days", sa.Integer()),
    ("treated_days", sa.Integer()),
    *(
        (name, sa.SmallInteger())
        for name in ("failed", "declined", "completed", "accepted", "rejected")
    ),
    *((name, sa.Integer()) for name in ("chases", "required_items", "available_items")),
    ("ready_at_cutoff", sa.SmallInteger()),
    *((name, sa.Integer()) for name in ("technical_issues", "sites_present", "groups_present")),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("read_models", sa.Column(name, kind, nullable=True))
    # the rows written before lack their figures: the read models are behind until rebuilt
    op.execute("DELETE FROM projection_checkpoints WHERE name = 'read_models'")


def downgrade() -> None:
    with op.batch_alter_table("read_models") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
