"""Agent tests: the Messages API stand-in as a fixture, and a chat with a model key set.

`api` starts a FakeAnthropic and points ANTHROPIC_BASE_URL at it, so the real anthropic SDK
is used end to end. The job's own backoff is made immediate (the SDK's retries already wait
only `retry-after-ms: 1`), so no test sleeps.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from domains.agent import turn
from domains.agent.models import AgentNoteRow, AgentTurnRow
from orchestrator.canonical import EventKind, InboundEvent, Platform
from orchestrator.db import Database
from orchestrator.models import LogEvent
from tests.fakes.anthropic_api import FakeAnthropic
from tests.inbox_support import FINANCE, OPERATOR, TRAVEL, Chat, chat

KEY = "sk-ant-test-0000"
__all__ = ["FINANCE", "KEY", "TRAVEL", "agent_chat", "api", "dm", "events", "notes", "turns"]
DM = "D1"
_dms = itertools.count(1)


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


def dm(c: Chat, text: str) -> str:
    """A direct message to the bot (routed); returns its ts."""
    n = next(_dms)
    ts = f"{5000 + n}.0001"
    c._run(  # noqa: SLF001 - the chat's own way to store and process an event
        InboundEvent(platform=Platform.SLACK, external_id=f"Dm{n}", kind=EventKind.MESSAGE,
                     user=OPERATOR, channel=DM, text=text, message_ref=ts, is_direct=True)
    )  # fmt: skip
    return ts
