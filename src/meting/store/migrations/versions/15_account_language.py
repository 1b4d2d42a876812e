"""The language of a dashboard account (nl or en): the dashboard's language switch stores
it for a signed-in user, and the review cycle's mails to the account are in it.

Revision ID: 15b
Revises: 17a
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "15b"
down_revision: str | None = "17a"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as table:
        table.add_column(sa.Column("lang", sa.String(length=5), nullable=False,
                                   server_default="nl"))


def downgrade() -> None:
    with op.batch_alter_table("users") as table:
        table.drop_column("lang")
