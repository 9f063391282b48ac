"""The tool calls' table: every MCP call a domain's agent made or asked for (issue 13).

A read is a row born `running`, unique per (turn, tool_use id), so a retried turn finds its
earlier result instead of calling again. An effect is born `held` with its approval (UNIQUE
`approval_id`); only the run that moves it `held → running` calls the tool, so it runs once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.db import Base, utcnow
from orchestrator.models import BigId
from orchestrator.statuses import ToolCallStatus


class ToolCallRow(Base):
    __tablename__ = "tool_calls"
    __table_args__ = (
        UniqueConstraint("turn_id", "use_id", name="uq_tool_calls_turn_use"),
        UniqueConstraint("approval_id", name="uq_tool_calls_approval"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    domain: Mapped[str] = mapped_column(String(64), index=True)
    server: Mapped[str] = mapped_column(String(64))
    tool: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8))  # read | effect
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=ToolCallStatus.RUNNING)
    turn_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    use_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    approval_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    is_error: Mapped[bool] = mapped_column(Boolean, default=False)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    charter_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source_event_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
