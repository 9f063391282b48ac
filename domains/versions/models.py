"""The versions' tables: every charter version ever seen, which one runs, and shadow results.

A version keeps the whole file it was made from (`content`), so it stays readable and loadable
after the file changes. `charter_heads` says which version of a domain is active and which one
runs as a shadow; `charter_state` is one counter row every switch increments, so a process can
tell with one query whether to reload (`orchestrator.live`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.db import Base, utcnow
from orchestrator.models import NAME_CHARS, BigId

STATE_ROW = 1


class CharterVersionRow(Base):
    __tablename__ = "charter_versions"
    __table_args__ = (
        UniqueConstraint("domain", "number", name="uq_charter_version_number"),
        Index("ix_charter_versions_hash", "domain", "content_hash"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    domain: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)  # the file it was read from
    file_version: Mapped[str] = mapped_column(String(32))  # the front matter's `version`
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(NAME_CHARS))
    summary: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    expected: Mapped[str | None] = mapped_column(Text, nullable=True)
    rollback: Mapped[str | None] = mapped_column(Text, nullable=True)
    tests: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    notes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    last_active_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class CharterHeadRow(Base):
    """Per domain: the active version's number and the shadow candidate's, if one runs."""

    __tablename__ = "charter_heads"

    domain: Mapped[str] = mapped_column(String(64), primary_key=True)
    active: Mapped[int] = mapped_column(Integer)
    shadow: Mapped[int | None] = mapped_column(Integer, nullable=True)
    shadow_since: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CharterStateRow(Base):
    """One row: `stamp` moves on every switch, in the switch's transaction."""

    __tablename__ = "charter_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stamp: Mapped[int] = mapped_column(Integer, default=0)


class ShadowResultRow(Base):
    """What a shadow candidate would have done with one live message, beside the active one."""

    __tablename__ = "shadow_results"
    __table_args__ = (
        UniqueConstraint("event_id", "domain", "version", name="uq_shadow_result"),
        Index("ix_shadow_results_domain", "domain", "version", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    domain: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    active_version: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int] = mapped_column(BigId)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    active: Mapped[dict[str, Any]] = mapped_column(JSON)
    shadow: Mapped[dict[str, Any]] = mapped_column(JSON)
    agrees: Mapped[bool] = mapped_column(Boolean)
    differences: Mapped[list[str]] = mapped_column(JSON, default=list)
