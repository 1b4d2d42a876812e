"""The annual Monitor Open Standaarden: tenders and facilities with their standards.

Revision ID: 18a
Revises: 15a
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "18a"
down_revision: str | None = "15a"
branch_labels: str | None = None
depends_on: str | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "monitor_tenders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.Column("layer", sa.String(length=20), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("cpv", sa.String(length=12), nullable=True),
        sa.Column("imported_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_tenders")),
    )
    op.create_index(op.f("ix_monitor_tenders_year"), "monitor_tenders", ["year"])
    op.create_table(
        "monitor_tender_standards",
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("standard", sa.String(length=60), nullable=False),
        sa.Column("relevant", sa.Boolean(), nullable=False),
        sa.Column("asked", sa.Boolean(), nullable=False),
        sa.Column("asking_text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["tender_id"], ["monitor_tenders.id"],
                                name=op.f("fk_monitor_tender_standards_tender_id_monitor_tenders"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tender_id", "standard", name=op.f("pk_monitor_tender_standards")),
    )
    op.create_table(
        "monitor_facilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("steward", sa.String(length=300), nullable=False),
        sa.Column("imported_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_facilities")),
    )
    op.create_index(op.f("ix_monitor_facilities_year"), "monitor_facilities", ["year"])
    op.create_table(
        "monitor_facility_standards",
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("standard", sa.String(length=60), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["monitor_facilities.id"],
            name=op.f("fk_monitor_facility_standards_facility_id_monitor_facilities"),
            ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("facility_id", "standard",
                                name=op.f("pk_monitor_facility_standards")),
    )


def downgrade() -> None:
    op.drop_table("monitor_facility_standards")
    op.drop_index(op.f("ix_monitor_facilities_year"), table_name="monitor_facilities")
    op.drop_table("monitor_facilities")
    op.drop_table("monitor_tender_standards")
    op.drop_index(op.f("ix_monitor_tenders_year"), table_name="monitor_tenders")
    op.drop_table("monitor_tenders")
