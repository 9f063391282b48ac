"""The reminders table (CONTRACT §7.5); its statuses and moves are in `orchestrator.statuses`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.db import Base, utcnow
from orchestrator.models import NAME_CHARS, BigId
from orchestrator.statuses import ReminderStatus


class ReminderRow(Base):
    """One follow-up: what, for which domain, when it is due (naive UTC), and its card.

    `due_at` is the current due time (a snooze moves it); `first_due_at` the one it was set
    for. `posts` counts the times it was posted: once per due time, which keys its posts.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_status_due", "status", "due_at"),
        Index("ix_reminders_domain_status", "domain", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    domain: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    when_text: Mapped[str] = mapped_column(String(120))  # as written: "tomorrow 10:00"
    due_at: Mapped[datetime] = mapped_column(DateTime)
    first_due_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default=ReminderStatus.OPEN)
    created_by: Mapped[str] = mapped_column(String(128))
    created_name: Mapped[str | None] = mapped_column(String(NAME_CHARS), nullable=True)
    platform: Mapped[str] = mapped_column(String(16))
    origin: Mapped[dict[str, Any]] = mapped_column(JSON)  # the thread it was set in (a Target)
    source_event_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    posts: Mapped[int] = mapped_column(Integer, default=0)
    posted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # the last post was late
    card_posts: Mapped[list[int]] = mapped_column(JSON, default=list)  # every copy, every post
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    updated_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    updated_name: Mapped[str | None] = mapped_column(String(NAME_CHARS), nullable=True)
