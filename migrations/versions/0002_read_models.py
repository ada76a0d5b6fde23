"""Read models: derived records kept by the projections, and their checkpoints.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "read_models",
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ref", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("owner", "kind", "seq", name="pk_read_models"),
    )
    op.create_index("ix_read_models_kind_at", "read_models", ["kind", "at"])
    op.create_index("ix_read_models_kind_ref", "read_models", ["kind", "ref"])
    op.create_table(
        "projection_checkpoints",
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("position", Position, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_projection_checkpoints"),
    )


def downgrade() -> None:
    op.drop_table("projection_checkpoints")
    op.drop_index("ix_read_models_kind_ref", table_name="read_models")
    op.drop_index("ix_read_models_kind_at", table_name="read_models")
    op.drop_table("read_models")
