"""charter versions: versions, heads, the switch counter, shadow results

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-02 12:00:00.000000

Hand-written; runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0008"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "charter_versions",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("domain", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("file_version", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("expected", sa.Text(), nullable=True),
        sa.Column("rollback", sa.Text(), nullable=True),
        sa.Column("tests", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("last_active_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("domain", "number", name="uq_charter_version_number"),
    )
    op.create_index("ix_charter_versions_hash", "charter_versions", ["domain", "content_hash"])
    op.create_table(
        "charter_heads",
        sa.Column("domain", sa.String(64), primary_key=True),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("shadow", sa.Integer(), nullable=True),
        sa.Column("shadow_since", sa.DateTime(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
    )
    state = op.create_table(
        "charter_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("stamp", sa.Integer(), nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "stamp": 0}])
    op.create_table(
        "shadow_results",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("domain", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("active_version", sa.Integer(), nullable=False),
        sa.Column("event_id", BIG_ID, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("active", sa.JSON(), nullable=False),
        sa.Column("shadow", sa.JSON(), nullable=False),
        sa.Column("agrees", sa.Boolean(), nullable=False),
        sa.Column("differences", sa.JSON(), nullable=False),
        sa.UniqueConstraint("event_id", "domain", "version", name="uq_shadow_result"),
    )
    op.create_index("ix_shadow_results_domain", "shadow_results", ["domain", "version", "id"])


def downgrade() -> None:
    op.drop_index("ix_shadow_results_domain", table_name="shadow_results")
    op.drop_table("shadow_results")
    op.drop_table("charter_state")
    op.drop_table("charter_heads")
    op.drop_index("ix_charter_versions_hash", table_name="charter_versions")
    op.drop_table("charter_versions")
