"""Formal reactions of organisations to a round's results.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "reactions",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_reactions_organisation_id_organisations"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"],
                                name=op.f("fk_reactions_round_id_rounds"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("round_id", "organisation_id", name=op.f("pk_reactions")),
    )
    op.create_index(op.f("ix_reactions_organisation_id"), "reactions", ["organisation_id"])


def downgrade() -> None:
    op.drop_table("reactions")
