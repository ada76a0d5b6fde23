"""Read models: the gaps query's rows, one per discussion and item missing at it (kind
``gap``, owned by the case), kept by the projector and made by the rebuild. The table's
shape is unchanged; the rows written before lack them, so the read models are behind
until rebuilt, which ``coord init`` does when it finds them behind the log.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM projection_checkpoints WHERE name = 'read_models'")


def downgrade() -> None:
    # the gap rows are read by nothing before this revision: they stay, harmless
    pass
