"""Initial schema: registry (organisations, domains, sets), rounds, tests, evidence.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

NAME = 253  # longest domain name


def upgrade() -> None:
    _registry()
    _rounds()


def _registry() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("umbrella", sa.String(100), nullable=True),
        sa.Column("provider", sa.String(300), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(NAME), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("web", sa.Boolean(), nullable=False),
        sa.Column("web_host", sa.String(NAME), nullable=True),
        sa.Column("mail", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_domains_organisation_id_organisations"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domains")),
        sa.UniqueConstraint("name", name=op.f("uq_domains_name")),
    )
    op.create_index(op.f("ix_domains_organisation_id"), "domains", ["organisation_id"])
    op.create_table(
        "domain_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_sets")),
        sa.UniqueConstraint("name", name=op.f("uq_domain_sets_name")),
    )
    op.create_table(
        "domain_set_members",
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"],
                                name=op.f("fk_domain_set_members_domain_id_domains"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["set_id"], ["domain_sets.id"],
                                name=op.f("fk_domain_set_members_set_id_domain_sets"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("set_id", "domain_id", name=op.f("pk_domain_set_members")),
    )
    op.create_index(op.f("ix_domain_set_members_domain_id"), "domain_set_members",
                    ["domain_id"])


def _rounds() -> None:
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("set_name", sa.String(100), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("norm", sa.String(50), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("executor", sa.String(50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
        sa.UniqueConstraint("label", name=op.f("uq_rounds_label")),
    )
    op.create_table(
        "tests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("target", sa.String(NAME), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=True),
        sa.Column("explanations", sa.JSON(), nullable=True),
        sa.Column("subtests", sa.JSON(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"],
                                name=op.f("fk_tests_domain_id_domains"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"],
                                name=op.f("fk_tests_round_id_rounds"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tests")),
        sa.UniqueConstraint("round_id", "domain_id", "kind", name="uq_tests_round_domain_kind"),
    )
    op.create_index(op.f("ix_tests_domain_id"), "tests", ["domain_id"])
    op.create_index("ix_tests_round_state", "tests", ["round_id", "state"])
    op.create_table(
        "evidence",
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("encoding", sa.String(10), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["test_id"], ["tests.id"],
                                name=op.f("fk_evidence_test_id_tests"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("test_id", name=op.f("pk_evidence")),
    )


def downgrade() -> None:
    for table in ("evidence", "tests", "rounds", "domain_set_members", "domain_sets",
                  "domains", "organisations"):
        op.drop_table(table)
