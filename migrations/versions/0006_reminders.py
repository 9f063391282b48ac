"""reminders: follow-ups posted once when due

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:00:00.000000

Hand-written; runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("domain", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("when_text", sa.String(length=120), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("first_due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_name", sa.String(length=128), nullable=True),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.JSON(), nullable=False),
        sa.Column("source_event_id", BIG_ID, nullable=True),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("posted_at", sa.DateTime(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("card_posts", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by", sa.String(length=128), nullable=True),
        sa.Column("updated_name", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reminders_status_due", "reminders", ["status", "due_at"])
    op.create_index("ix_reminders_domain_status", "reminders", ["domain", "status"])


def downgrade() -> None:
    op.drop_index("ix_reminders_domain_status", table_name="reminders")
    op.drop_index("ix_reminders_status_due", table_name="reminders")
    op.drop_table("reminders")
