"""Agent tests: the Messages API stand-in as a fixture, and a chat with a model key set.

`api` starts a FakeAnthropic and points ANTHROPIC_BASE_URL at it, so the real anthropic SDK
is used end to end. The job's own backoff is made immediate (the SDK's retries already wait
only `retry-after-ms: 1`), so no test sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from domains.agent import turn
from domains.agent.models import AgentNoteRow, AgentTurnRow
from orchestrator.db import Database
from orchestrator.models import LogEvent
from tests.fakes.anthropic_api import FakeAnthropic
from tests.inbox_support import FINANCE, TRAVEL, Chat, chat

KEY = "sk-ant-test-0000"
__all__ = ["DM", "FINANCE", "KEY", "TRAVEL", "agent_chat", "api", "events", "notes", "turns"]
DM = "D1"


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.origin)
        monkeypatch.setattr(turn, "RETRY_DELAYS", (0.0, 0.0))
        yield fake


def agent_chat(db: Database, **env: Any) -> Chat:
    env.setdefault("ANTHROPIC_API_KEY", KEY)
    env.setdefault("PARALLELOS_MODEL", "claude-sonnet-5-5")
    return chat(db, **env)


def events(db: Database, kind: str) -> list[LogEvent]:
    with db.session() as s:
        return list(s.scalars(select(LogEvent).where(LogEvent.kind == kind).order_by(LogEvent.id)))


def turns(db: Database) -> list[AgentTurnRow]:
    with db.session() as s:
        return list(s.scalars(select(AgentTurnRow).order_by(AgentTurnRow.id)))


def notes(db: Database, domain: str) -> list[AgentNoteRow]:
    with db.session() as s:
        query = select(AgentNoteRow).where(AgentNoteRow.domain == domain)
        return list(s.scalars(query.order_by(AgentNoteRow.id)))
