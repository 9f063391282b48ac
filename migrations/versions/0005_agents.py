"""agents: turns, notes with full-text search, budget notices

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 12:00:00.000000

Hand-written; runs on SQLite and PostgreSQL. Full-text search over `agent_notes.text`: an
FTS5 external-content table kept in step by triggers on SQLite, a GIN index over
`to_tsvector('english', text)` on PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE agent_notes_fts USING fts5("
    "text, content='agent_notes', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER agent_notes_ai AFTER INSERT ON agent_notes BEGIN "
    "INSERT INTO agent_notes_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER agent_notes_ad AFTER DELETE ON agent_notes BEGIN "
    "INSERT INTO agent_notes_fts(agent_notes_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER agent_notes_au AFTER UPDATE ON agent_notes BEGIN "
    "INSERT INTO agent_notes_fts(agent_notes_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); "
    "INSERT INTO agent_notes_fts(rowid, text) VALUES (new.id, new.text); END",
]
SQLITE_FTS_DROP = [
    "DROP TRIGGER IF EXISTS agent_notes_au",
    "DROP TRIGGER IF EXISTS agent_notes_ad",
    "DROP TRIGGER IF EXISTS agent_notes_ai",
    "DROP TABLE IF EXISTS agent_notes_fts",
]
PG_FTS = "CREATE INDEX ix_agent_notes_fts ON agent_notes USING gin (to_tsvector('english', text))"


def upgrade() -> None:
    op.create_table(
        "agent_turns",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("event_id", BIG_ID, nullable=False),
        sa.Column("domain", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("trigger_event_id", BIG_ID, nullable=True),
        sa.Column("in_home", sa.Boolean(), nullable=False),
        sa.Column("reply_posts", sa.JSON(), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("stop", sa.String(length=32), nullable=True),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "event_id", "domain", name="uq_agent_turns_kind_event_domain"),
    )
    op.create_index("ix_agent_turns_status_created", "agent_turns", ["status", "created_at"])
    op.create_table(
        "agent_notes",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("domain", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("source_event_id", BIG_ID, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agent_notes_domain_created", "agent_notes", ["domain", "created_at"])
    op.create_table(
        "agent_budget_notices",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("domain", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("amount_usd", sa.Float(), nullable=True),
        sa.Column("approval_public_id", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("domain", "month", "kind", "level", name="uq_agent_budget_notice"),
    )
    _full_text(create=True)


def downgrade() -> None:
    _full_text(create=False)
    op.drop_table("agent_budget_notices")
    op.drop_index("ix_agent_notes_domain_created", table_name="agent_notes")
    op.drop_table("agent_notes")
    op.drop_index("ix_agent_turns_status_created", table_name="agent_turns")
    op.drop_table("agent_turns")


def _full_text(*, create: bool) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_FTS if create else SQLITE_FTS_DROP:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(PG_FTS if create else "DROP INDEX IF EXISTS ix_agent_notes_fts")
