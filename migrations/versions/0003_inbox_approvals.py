"""inbox entries, approvals and their decisions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:00:00.000000

Hand-written; runs on SQLite and PostgreSQL. `approval_decisions.approval_id` is UNIQUE: the
database, not a check in the code, makes an approval's decision happen once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", BIG_ID, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "inbox_entries",
        _id(),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("from_domain", sa.String(length=64), nullable=False),
        sa.Column("to_domain", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("ask", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("privacy_note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=True),
        sa.Column("updated_name", sa.String(length=128), nullable=True),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.JSON(), nullable=False),
        sa.Column("card_posts", sa.JSON(), nullable=False),
        sa.Column("source_event_id", BIG_ID, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_inbox_to_status", "inbox_entries", ["to_domain", "status", "created_at"], unique=False
    )
    op.create_table(
        "approvals",
        _id(),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("domain", sa.String(length=64), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_name", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("webhook_status", sa.String(length=16), nullable=False),
        sa.Column("webhook_attempts", sa.Integer(), nullable=False),
        sa.Column("webhook_next_at", sa.DateTime(), nullable=True),
        sa.Column("webhook_lease_until", sa.DateTime(), nullable=True),
        sa.Column("webhook_claim", sa.String(length=64), nullable=True),
        sa.Column("webhook_error", sa.Text(), nullable=True),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.JSON(), nullable=False),
        sa.Column("card_posts", sa.JSON(), nullable=False),
        sa.Column("source_event_id", BIG_ID, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("public_id", name="uq_approvals_public_id"),
    )
    op.create_index(
        "ix_approvals_status_expires", "approvals", ["status", "expires_at"], unique=False
    )
    op.create_index(
        "ix_approvals_webhook_due", "approvals", ["webhook_status", "webhook_next_at"], unique=False
    )
    op.create_table(
        "approval_decisions",
        _id(),
        sa.Column("approval_id", BIG_ID, nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("source_event_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(["approval_id"], ["approvals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("approval_id", name="uq_approval_decisions_approval"),
    )


def downgrade() -> None:
    op.drop_table("approval_decisions")
    op.drop_index("ix_approvals_webhook_due", table_name="approvals")
    op.drop_index("ix_approvals_status_expires", table_name="approvals")
    op.drop_table("approvals")
    op.drop_index("ix_inbox_to_status", table_name="inbox_entries")
    op.drop_table("inbox_entries")
