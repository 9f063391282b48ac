"""Brief runs: one row per brief per period (scheduled) or per request (on demand).

The row is the receipt: which period, when it was due, when it started and was posted, the
outbox posts it queued and the platform message ids they got, and how it ended. `UNIQUE (brief,
period)` is what makes two schedulers, a restart or a redelivered job post a period once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.db import Base, utcnow
from orchestrator.models import BigId
from orchestrator.statuses import BriefRunStatus


class BriefTrigger(StrEnum):
    SCHEDULED = "scheduled"
    ON_DEMAND = "on_demand"


class BriefRunRow(Base):
    """A brief run and its receipt. Times are naive UTC, like every other table."""

    __tablename__ = "brief_runs"
    __table_args__ = (
        UniqueConstraint("brief", "period", name="uq_brief_runs_brief_period"),
        Index("ix_brief_runs_brief_due", "brief", "trigger", "due_at"),
        Index("ix_brief_runs_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    brief: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16), default=BriefTrigger.SCHEDULED)
    # Scheduled: the slot in the brief's local time ("2026-03-30T08:00"); on demand: a request id.
    period: Mapped[str] = mapped_column(String(128))
    schedule: Mapped[str | None] = mapped_column(String(160), nullable=True)  # "cron zone"
    due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=BriefRunStatus.QUEUED)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    outbox_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    message_ids: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    requested_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
