"""agent_thread_summaries (a long thread's older turns, per domain), and on approvals what
approving does (`effect`) and the action webhook's last result (`webhook_result`)

Revision ID: 0010_staff
Revises: 0010_tools
Create Date: 2026-12-01 22:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_staff"
down_revision = "0010_tools"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "agent_thread_summaries",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("domain", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(255), nullable=False),
        sa.Column("thread", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("up_to_event_id", BIG_ID, nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint(
            "domain", "platform", "channel", "thread", name="uq_agent_thread_summary"
        ),
    )
    # plain ADD/DROP COLUMN (SQLite 3.35+ too): a batch copy of `approvals` would cascade-delete
    # its `approval_decisions` rows on SQLite
    op.add_column("approvals", sa.Column("webhook_result", sa.String(64), nullable=True))
    op.add_column("approvals", sa.Column("effect", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("approvals", "effect")
    op.drop_column("approvals", "webhook_result")
    op.drop_table("agent_thread_summaries")
