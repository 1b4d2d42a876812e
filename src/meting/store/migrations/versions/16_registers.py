"""Registers (issue 16): what each register said last about an organisation or domain.

Revision ID: 16b
Revises: 16a
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "16b"
down_revision: str | None = "16a"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "register_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_marks")),
        sa.UniqueConstraint("register", "kind", "key",
                            name="uq_register_marks_register_kind_key"),
    )


def downgrade() -> None:
    op.drop_table("register_marks")
