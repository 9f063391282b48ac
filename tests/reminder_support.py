"""Reminder tests: the core chat (travel and finance channels) with Lisbon as the operator's
zone, scheduler ticks at a given moment, and the rows and cards to read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine
from sqlalchemy import func, select

from domains.reminders.models import ReminderRow
from jobs.reminder_tick import ReminderTick, reminder_tick
from orchestrator.db import Database
from orchestrator.models import OutboxRow
from orchestrator.services import Services
from tests.inbox_support import Chat, chat
from tests.recording_sender import Sent

ZONE = "Europe/Lisbon"
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Mon 30 Nov 2026, 10:00 in Lisbon (WET)


def lisbon_chat(db: Database, **env: Any) -> Chat:
    env.setdefault("PARALLELOS_TIMEZONE", ZONE)
    return chat(db, **env)


def tick_at(svc: Services, when: datetime) -> ReminderTick:
    """One scheduler pass at `when` (UTC); delivery runs inline."""
    with time_machine.travel(when, tick=False):
        return reminder_tick(svc)


def reminders(db: Database) -> list[ReminderRow]:
    with db.session() as s:
        return list(s.scalars(select(ReminderRow).order_by(ReminderRow.id)))


def reminder_posts(db: Database) -> int:
    """Outbox rows of reminder cards (edits of them not counted)."""
    with db.session() as s:
        query = (
            select(func.count())
            .select_from(OutboxRow)
            .where(OutboxRow.key.startswith("reminder:"), OutboxRow.update_of.is_(None))
        )
        return s.scalar(query) or 0


def cards(c: Chat, channel: str) -> list[Sent]:
    return [s for s in c.posts_in(channel) if (s.post.title or "").startswith("⏰ Reminder")]


def now_shown(c: Chat, sent: Sent) -> Any:
    """A card as it reads now (its latest edit)."""
    return (c.edits_of(sent) or [sent.post])[-1]
