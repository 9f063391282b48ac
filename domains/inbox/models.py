"""The inbox's table (CONTRACT §7.3); its statuses and moves are in `orchestrator.statuses`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.db import Base, utcnow
from orchestrator.models import NAME_CHARS, BigId
from orchestrator.statuses import InboxStatus


class InboxEntryRow(Base):
    """One ask from one domain to another: only what the sender chose to share."""

    __tablename__ = "inbox_entries"
    __table_args__ = (Index("ix_inbox_to_status", "to_domain", "status", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    title: Mapped[str] = mapped_column(String(120))
    from_domain: Mapped[str] = mapped_column(String(64))
    to_domain: Mapped[str] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(8))
    ask: Mapped[str] = mapped_column(Text)
    context: Mapped[str] = mapped_column(Text, default="")
    privacy_note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.OPEN)
    created_by: Mapped[str] = mapped_column(String(128))
    created_name: Mapped[str | None] = mapped_column(String(NAME_CHARS), nullable=True)
    updated_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    updated_name: Mapped[str | None] = mapped_column(String(NAME_CHARS), nullable=True)
    platform: Mapped[str] = mapped_column(String(16))
    origin: Mapped[dict[str, Any]] = mapped_column(JSON)  # the sender's thread (a Target)
    card_posts: Mapped[list[int]] = mapped_column(JSON, default=list)  # outbox ids of the card
    source_event_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
