"""Tables and statuses of the cross-domain inbox and of approvals (CONTRACT §7.3, §7.4).

Every status is a `str` Enum and every allowed move is listed in `MOVES`, the one place the
code asks (`can_move`). A move is applied with a conditional UPDATE (`... WHERE status = old`),
so two workers cannot both make it; an approval's decision is also a row in
`approval_decisions`, UNIQUE per approval, so exactly one decision can ever be stored.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
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
from orchestrator.models import BigId


class InboxStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DONE = "done"
    DECLINED = "declined"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class DeliveryStatus(StrEnum):
    """The action webhook's delivery of an approved action."""

    NONE = "none"  # nothing to deliver (not approved yet, or no ACTION_WEBHOOK_URL)
    PENDING = "pending"  # due at `webhook_next_at`
    SENDING = "sending"  # a worker holds it until `webhook_lease_until`
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up; an operator's Retry puts it back to pending


_ = frozenset
# The only transition table: per status type (the enums share values such as "pending").
MOVES: dict[type[StrEnum], dict[Any, frozenset[Any]]] = {
    InboxStatus: {
        InboxStatus.OPEN: _({InboxStatus.ACCEPTED, InboxStatus.DECLINED}),
        InboxStatus.ACCEPTED: _({InboxStatus.DONE, InboxStatus.DECLINED}),
    },
    ApprovalStatus: {
        ApprovalStatus.PENDING: _(
            {ApprovalStatus.APPROVED, ApprovalStatus.REJECTED, ApprovalStatus.EXPIRED}
        ),
    },
    DeliveryStatus: {
        DeliveryStatus.NONE: _({DeliveryStatus.PENDING}),
        DeliveryStatus.PENDING: _({DeliveryStatus.SENDING}),
        DeliveryStatus.SENDING: _(
            {DeliveryStatus.DELIVERED, DeliveryStatus.PENDING, DeliveryStatus.FAILED}
        ),
        DeliveryStatus.FAILED: _({DeliveryStatus.PENDING}),
    },
}


def can_move(old: StrEnum, new: StrEnum) -> bool:
    """Whether a status may change from `old` to `new` (both of the same status type)."""
    return type(old) is type(new) and new in MOVES[type(old)].get(old, frozenset())


def is_final(status: StrEnum) -> bool:
    return not MOVES[type(status)].get(status)


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
    updated_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    updated_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    platform: Mapped[str] = mapped_column(String(16))
    origin: Mapped[dict[str, Any]] = mapped_column(JSON)  # the sender's thread (a Target)
    card_posts: Mapped[list[int]] = mapped_column(JSON, default=list)  # outbox ids of the card
    source_event_id: Mapped[int | None] = mapped_column(BigId, nullable=True)


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
    proposed_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default=ApprovalStatus.PENDING)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    webhook_status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.NONE)
    webhook_attempts: Mapped[int] = mapped_column(Integer, default=0)
    webhook_next_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    webhook_lease_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    webhook_claim: Mapped[str | None] = mapped_column(String(64), nullable=True)
    webhook_error: Mapped[str | None] = mapped_column(Text, nullable=True)
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
