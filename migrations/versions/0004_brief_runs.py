"""brief runs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 10:00:00.000000

Hand-written; runs on SQLite and PostgreSQL. UNIQUE (brief, period) is what makes a scheduled
period post once, however many schedulers run. Also an index on event_log (kind, at) for the
briefs' "since the last brief" queries.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "brief_runs",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("brief", sa.String(length=64), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=128), nullable=False),
        sa.Column("schedule", sa.String(length=160), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("posted_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("outbox_ids", sa.JSON(), nullable=False),
        sa.Column("message_ids", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("brief", "period", name="uq_brief_runs_brief_period"),
    )
    with op.batch_alter_table("brief_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_brief_runs_brief_due", ["brief", "trigger", "due_at"], unique=False
        )
        batch_op.create_index("ix_brief_runs_status", ["status"], unique=False)
    # Briefs read "decisions / changes since the last brief" by kind and time.
    op.create_index("ix_event_log_kind_at", "event_log", ["kind", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_event_log_kind_at", table_name="event_log")
    with op.batch_alter_table("brief_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_brief_runs_status")
        batch_op.drop_index("ix_brief_runs_brief_due")
    op.drop_table("brief_runs")
