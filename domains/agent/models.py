"""Tables owned by the agents: turns (one per message and domain), notes, budget notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from orchestrator import statuses
from orchestrator.canonical import InboundEvent
from orchestrator.db import Base, utcnow
from orchestrator.models import BigId
from orchestrator.statuses import TurnStatus


class TurnKind(StrEnum):
    REPLY = "reply"  # a domain agent answers a message
    ROUTE = "route"  # the model picks a domain the offline router was unsure about
    BRIEF = "brief"  # the hub agent summarises a brief run (event_id: the run's id)


class AgentTurnRow(Base):
    """One agent turn, unique per (kind, message event, domain): a re-run finds it finished."""

    __tablename__ = "agent_turns"
    __table_args__ = (
        UniqueConstraint("kind", "event_id", "domain", name="uq_agent_turns_kind_event_domain"),
        Index("ix_agent_turns_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[int] = mapped_column(BigId)  # the inbound message
    domain: Mapped[str] = mapped_column(String(64))  # "" for a routing turn
    status: Mapped[str] = mapped_column(String(16), default=TurnStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    trigger_event_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    in_home: Mapped[bool] = mapped_column(Boolean, default=True)
    reply_posts: Mapped[list[Any]] = mapped_column(JSON, default=list)  # outbox ids to edit
    prefix: Mapped[str] = mapped_column(Text, default="")  # offline confirmation lines
    text: Mapped[str] = mapped_column(Text, default="")  # what the agent is asked
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stop: Mapped[str | None] = mapped_column(String(32), nullable=True)
    cost_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


def close_turn(
    session: Session, *where: ColumnElement[bool], stop: str, failed: bool = False, **values: Any
) -> bool:
    """Finish the running turn `where` picks (done, or failed); True for the run that did."""
    return statuses.move(
        session, AgentTurnRow.status, TurnStatus.FAILED if failed else TurnStatus.DONE, *where,
        old=TurnStatus.RUNNING, finished_at=utcnow(), stop=stop, **values,
    )  # fmt: skip


class AgentNoteRow(Base):
    """Long-term memory of one domain: notes, decisions and messages, full-text searchable."""

    __tablename__ = "agent_notes"
    __table_args__ = (Index("ix_agent_notes_domain_created", "domain", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    domain: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # note | decision | message
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    source_event_id: Mapped[int | None] = mapped_column(BigId, nullable=True)


class BudgetNoticeRow(Base):
    """A budget warning or raise request, once per (domain, month, kind, level)."""

    __tablename__ = "agent_budget_notices"
    __table_args__ = (
        UniqueConstraint("domain", "month", "kind", "level", name="uq_agent_budget_notice"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    domain: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))  # 2026-11 (UTC)
    kind: Mapped[str] = mapped_column(String(16))  # warn | raise
    level: Mapped[int] = mapped_column(Integer)  # raises approved before this notice
    amount_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    approval_public_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


@dataclass(frozen=True)
class Claimed:
    turn_id: int
    attempt: int
    event_id: int
    domain: str
    event: InboundEvent
    text: str
    checkpoint: dict[str, Any] | None = None  # the last completed tool step of an earlier try


class AgentFactRow(Base):
    """One durable fact of a domain's profile ("prefers aisle seats"), kept by its agent with
    `remember` / `update_fact` / `forget`, shown by `memory <domain>`; never another domain's."""

    __tablename__ = "agent_facts"
    __table_args__ = (Index("ix_agent_facts_domain", "domain", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    domain: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    source_event_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ThreadSummaryRow(Base):
    """The summary of a long thread's older turns in one domain (never another's), used in
    place of them; `up_to_event_id` is the last message it covers."""

    __tablename__ = "agent_thread_summaries"
    __table_args__ = (
        UniqueConstraint("domain", "platform", "channel", "thread", name="uq_agent_thread_summary"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    domain: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(255))
    thread: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    up_to_event_id: Mapped[int] = mapped_column(BigId)
    messages: Mapped[int] = mapped_column(Integer, default=0)  # how many it covers
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
