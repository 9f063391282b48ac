"""tools: MCP tool calls, and the kind of an approval (an action, or a tool's effect)

Revision ID: 0010_tools
Revises: 0007
Create Date: 2026-12-01 22:00:00.000000

Hand-written; runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_tools"
down_revision = "0007"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tool_calls",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("domain", sa.String(64), nullable=False),
        sa.Column("server", sa.String(64), nullable=False),
        sa.Column("tool", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("turn_id", BIG_ID, nullable=True),
        sa.Column("use_id", sa.String(128), nullable=True),
        sa.Column("approval_id", BIG_ID, nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("is_error", sa.Boolean(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("charter_version", sa.String(32), nullable=True),
        sa.Column("source_event_id", BIG_ID, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("turn_id", "use_id", name="uq_tool_calls_turn_use"),
        sa.UniqueConstraint("approval_id", name="uq_tool_calls_approval"),
    )
    op.create_index("ix_tool_calls_domain", "tool_calls", ["domain"])
    with op.batch_alter_table("approvals") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="action"))


def downgrade() -> None:
    op.execute("ALTER TABLE approvals DROP COLUMN kind")  # SQLite 3.35+, PostgreSQL
    op.drop_index("ix_tool_calls_domain", table_name="tool_calls")
    op.drop_table("tool_calls")
