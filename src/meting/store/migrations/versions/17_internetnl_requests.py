"""Internet.nl batch requests, recorded before they are sent.

Revision ID: 17a
Revises: 18a
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "17a"
down_revision: str | None = "18a"
branch_labels: str | None = None
depends_on: str | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "internetnl_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("set_name", sa.String(length=100), nullable=True),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=255), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("submitted_at", WHEN, nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_internetnl_requests")),
        sa.UniqueConstraint("batch", "part", name="uq_internetnl_requests_batch"),
        sa.UniqueConstraint("handle", name=op.f("uq_internetnl_requests_handle")),
        sa.UniqueConstraint("request_id", name=op.f("uq_internetnl_requests_request_id")),
    )
    op.create_index(op.f("ix_internetnl_requests_batch"), "internetnl_requests", ["batch"])


def downgrade() -> None:
    op.drop_index(op.f("ix_internetnl_requests_batch"), table_name="internetnl_requests")
    op.drop_table("internetnl_requests")
