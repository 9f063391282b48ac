"""published_views: the view id last published to each person (Slack's Home tab) and the
buttons it carried, so a click from that view can be tied to it; and on inbox entries the
asker's display name (`created_name`), shown on the card and the dashboard

Revision ID: 0011_home
Revises: 0010_staff
Create Date: 2026-12-01 23:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_home"
down_revision = "0010_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_views",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("user", sa.String(64), primary_key=True),
        sa.Column("view_id", sa.String(255), nullable=False),
        sa.Column("buttons", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
    )
    op.add_column("inbox_entries", sa.Column("created_name", sa.String(128), nullable=True))


def downgrade() -> None:
    op.drop_column("inbox_entries", "created_name")
    op.drop_table("published_views")
