"""An organisation's optional parent organisation (e.g. the ministry of an agency).

Revision ID: 13a
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "13a"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as table:
        table.add_column(sa.Column("parent", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisations") as table:
        table.drop_column("parent")
