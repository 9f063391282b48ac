"""How far behind the system is: for `doctor` and `/metrics` (the schema version, which needs
Alembic, is `orchestrator.schema_version`).

Read from the database each time they are asked, never counted: they must be right after a
restart, and whichever process asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orchestrator.db import utcnow
from orchestrator.models import InboundEventRow, OutboxRow
from orchestrator.statuses import EventStatus, OutboxStatus

__all__ = ["Backlog", "backlog"]

UNFINISHED_POSTS = (OutboxStatus.PENDING, OutboxStatus.SENDING)


@dataclass(frozen=True)
class Backlog:
    unfinished_events: int
    oldest_unfinished: datetime | None  # when the oldest event not yet done arrived
    unsent_posts: int

    def oldest_age_seconds(self, now: datetime | None = None) -> float:
        if self.oldest_unfinished is None:
            return 0.0
        return max(0.0, ((now or utcnow()) - self.oldest_unfinished).total_seconds())


def backlog(session: Session) -> Backlog:
    waiting = InboundEventRow.status == EventStatus.RECEIVED
    count, oldest = session.execute(
        select(func.count(), func.min(InboundEventRow.created_at)).where(waiting)
    ).one()
    posts = session.scalar(
        select(func.count()).where(OutboxRow.status.in_([s.value for s in UNFINISHED_POSTS]))
    )
    return Backlog(int(count or 0), oldest, int(posts or 0))
