"""The approvals' tables (CONTRACT §7.4); statuses and moves are in `orchestrator.statuses`.

An approval's decision is also a row in `approval_decisions`, UNIQUE per approval, so exactly
one decision can ever be stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.db import Base, utcnow
from orchestrator.models import NAME_CHARS, BigId
from orchestrator.statuses import ApprovalStatus, DeliveryStatus


class ApprovalRow(Base):
    """An action waiting for (or decided by) an operator's click."""

    __tablename__ = "approvals"
    __table_args__ = (
        Index("ix_approvals_status_expires", "status", "expires_at"),
        Index("ix_approvals_webhook_due", "webhook_status", "webhook_next_at"),
        UniqueConstraint("public_id", name="uq_approvals_public_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(16))  # buttons, Idempotency-Key
    domain: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(Text)
    # "action" (carried out as the Latest decision and the webhook) or "tool" (an MCP effect:
    # Approve queues the one `tool_effect` job that calls it; domains.tools)
    kind: Mapped[str] = mapped_column(String(16), default="action", server_default="action")
    proposed_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default=ApprovalStatus.PENDING)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_name: Mapped[str | None] = mapped_column(String(NAME_CHARS), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    webhook_status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.NONE)
    webhook_attempts: Mapped[int] = mapped_column(Integer, default=0)
    webhook_next_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    webhook_lease_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    webhook_claim: Mapped[str | None] = mapped_column(String(64), nullable=True)
    webhook_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    webhook_result: Mapped[str | None] = mapped_column(String(64), nullable=True)  # "HTTP 200"
    effect: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # see effect.py
    platform: Mapped[str] = mapped_column(String(16))
    origin: Mapped[dict[str, Any]] = mapped_column(JSON)  # where it was proposed (a Target)
    card_posts: Mapped[list[int]] = mapped_column(JSON, default=list)
    source_event_id: Mapped[int | None] = mapped_column(BigId, nullable=True)


class ApprovalDecisionRow(Base):
    """The decision itself: at most one per approval, enforced by the database."""

    __tablename__ = "approval_decisions"
    __table_args__ = (UniqueConstraint("approval_id", name="uq_approval_decisions_approval"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    approval_id: Mapped[int] = mapped_column(BigId, ForeignKey("approvals.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str] = mapped_column(String(128))
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    source_event_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
