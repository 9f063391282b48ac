"""Tables of the spine. The database is the source of truth; Redis holds only queues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.db import Base, utcnow
from orchestrator.statuses import EventStatus, OutboxStatus

NAME_CHARS = 128  # a person's display name, wherever one is stored (cards, decisions)

# BigInteger primary keys autoincrement on PostgreSQL; SQLite needs INTEGER for rowid aliasing.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class InboundEventRow(Base):
    """Every inbound event, stored before it is acknowledged and queued (DESIGN rule 1)."""

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_inbound_platform_external"),
        Index("ix_inbound_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.RECEIVED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    domain: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class OutboxRow(Base):
    """A post waiting to be (or already) delivered. `key` makes each post unique."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_channel_status", "channel_key", "status", "id"),
        Index("ix_outbox_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    channel_key: Mapped[str] = mapped_column(String(255))
    target: Mapped[dict[str, Any]] = mapped_column(JSON)
    post: Mapped[dict[str, Any]] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(16), default="post")  # post | update
    update_of: Mapped[int | None] = mapped_column(BigId, nullable=True)  # outbox id to edit
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    claim: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sent_channel: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sent_message_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sent_thread: Mapped[str | None] = mapped_column(String(255), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_event_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class LogEvent(Base):
    """The append-only event log: every change of state (DESIGN rule 4)."""

    __tablename__ = "event_log"
    __table_args__ = (
        Index("ix_event_log_domain_at", "domain", "at"),
        Index("ix_event_log_kind_at", "kind", "at"),  # briefs: decisions and changes since
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(128))
    domain: Mapped[str | None] = mapped_column(String(64), nullable=True)
    charter_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cost_usd: Mapped[float | None] = mapped_column(nullable=True)
    source_event_id: Mapped[int | None] = mapped_column(BigId, nullable=True)


class ChannelRow(Base):
    """Where a domain (or the hub) lives on a platform: a Slack channel or Telegram topic."""

    __tablename__ = "channels"
    __table_args__ = (
        UniqueConstraint("platform", "domain", name="uq_channel_platform_domain"),
        Index("ix_channels_external", "platform", "external_id", "thread"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    domain: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(255))
    thread: Mapped[str | None] = mapped_column(String(64), nullable=True)
    name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PublishedViewRow(Base):
    """The view last published to one person (Slack's Home tab): its id, as the platform
    returned it, and the buttons it carried. A click from a view counts only when its view id
    is this one and the button was in it (`orchestrator.published_views`)."""

    __tablename__ = "published_views"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    user: Mapped[str] = mapped_column(String(64), primary_key=True)
    view_id: Mapped[str] = mapped_column(String(255))
    buttons: Mapped[list[list[str]]] = mapped_column(JSON, default=list)  # [[action, value]]
    published_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
