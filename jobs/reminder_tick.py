"""The reminder clock: on every scheduler tick, post each due reminder once.

Each reminder is posted in its own transaction (`domains.reminders.service.post_due`), so one
broken row cannot hold up the others; a scheduler that loses the race for a row simply finds
nothing to move. Delivery is handed to the job queue after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import OperationalError

from domains.reminders.service import due_ids, post_due
from orchestrator.db import utcnow
from orchestrator.handoff import schedule_delivery
from orchestrator.services import Services

log = logging.getLogger(__name__)


@dataclass
class ReminderTick:
    posted: list[int] = field(default_factory=list)  # reminders this tick posted
    channels: set[str] = field(default_factory=set)


def reminder_tick(svc: Services, *, now: datetime | None = None) -> ReminderTick:
    """Post every reminder due by `now` (naive UTC) that no one has posted for its due time."""
    now = now or utcnow()
    result = ReminderTick()
    with svc.db.session() as s:
        ids = due_ids(s, now)
    for reminder_id in ids:
        keys = _post(svc, reminder_id, now)
        if keys is not None:
            result.posted.append(reminder_id)
            result.channels |= keys
    for channel_key in sorted(result.channels):
        schedule_delivery(svc, channel_key)
    return result


def _post(svc: Services, reminder_id: int, now: datetime) -> set[str] | None:
    """The channels of the posted card; None when this tick did not post it."""
    try:
        with svc.db.session() as s:
            rows = post_due(s, svc.settings, reminder_id, now)
            return None if rows is None else {row.channel_key for row in rows}
    except OperationalError as exc:  # e.g. SQLite busy with another writer: next tick
        log.warning("reminder %s: database busy (%s); retrying next tick", reminder_id, exc)
    except Exception:
        log.exception("reminder %s could not be posted", reminder_id)
    return None
