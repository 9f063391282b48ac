"""How far behind the system is, and which schema it runs: for `doctor` and `/metrics`.

Read from the database each time they are asked, never counted: they must be right after a
restart, and whichever process asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orchestrator.db import Database, utcnow
from orchestrator.migrate import alembic_config
from orchestrator.models import InboundEventRow, OutboxRow
from orchestrator.statuses import EventStatus, OutboxStatus

__all__ = ["Backlog", "SchemaVersion", "backlog", "schema_version"]

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


@dataclass(frozen=True)
class SchemaVersion:
    current: str | None  # the database's revision; None when it was never migrated
    head: str  # the newest revision this code ships

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def backlog(session: Session) -> Backlog:
    waiting = InboundEventRow.status == EventStatus.RECEIVED
    count, oldest = session.execute(
        select(func.count(), func.min(InboundEventRow.created_at)).where(waiting)
    ).one()
    posts = session.scalar(
        select(func.count()).where(OutboxRow.status.in_([s.value for s in UNFINISHED_POSTS]))
    )
    return Backlog(int(count or 0), oldest, int(posts or 0))


def schema_version(db: Database) -> SchemaVersion:
    head = ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return SchemaVersion(current, head or "")
