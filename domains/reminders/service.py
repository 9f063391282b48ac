"""Reminders (CONTRACT §7.2, §7.5): set by a `Remind <when>: <what>` line or an agent's
`follow_up` tool, posted once in the domain's channel when due, answered with Done or Snooze.

Posting once: `post_due` moves the row open/snoozed → posted with one conditional UPDATE
(`statuses.move`, guarded by `due_at <= now`) and queues the card in the same transaction,
keyed `reminder:<id>:<n>` for its n-th due time. Of two schedulers only one UPDATE matches
(on PostgreSQL the second waits for the first's row lock, then sees `posted`), so only one
transaction holds a card; a restart finds the row posted; after downtime the row is still
due, so the first tick posts it once, marked late.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains.reminders import cards, texts
from domains.reminders.models import ReminderRow
from orchestrator import statuses
from orchestrator.canonical import Platform, dump
from orchestrator.eventlog import record
from orchestrator.models import OutboxRow
from orchestrator.posting import PostBatch, reply_target
from orchestrator.settings import Settings
from orchestrator.statuses import ReminderStatus

if TYPE_CHECKING:
    from orchestrator.context import Context

LATE_AFTER = timedelta(minutes=5)  # posted later than this after its due time: marked late
WAITING = (ReminderStatus.OPEN, ReminderStatus.SNOOZED)  # what the scheduler posts when due
UNFINISHED = (ReminderStatus.OPEN, ReminderStatus.POSTED, ReminderStatus.SNOOZED)
ACTOR = "scheduler"


def create(ctx: Context, domain: str, *, when: str, due_at: datetime, text: str) -> str:
    """One reminder row for `domain`, due at `due_at` (aware); the line confirming it."""
    due = due_at.replace(tzinfo=None) - (due_at.utcoffset() or timedelta(0))
    row = ReminderRow(
        domain=domain, text=text, when_text=when[:120], due_at=due, first_due_at=due,
        status=ReminderStatus.OPEN.value, created_by=ctx.actor,
        created_name=ctx.event.user_name, platform=ctx.event.platform.value,
        origin=dump(reply_target(ctx.event)), source_event_id=ctx.event_id,
        posts=0, late=False, card_posts=[],
    )  # fmt: skip
    ctx.session.add(row)
    ctx.session.flush()
    zone = ctx.orch.settings.zone
    log_event(ctx.session, row, "reminder.created", ctx.actor, ctx.event_id, when=when,
         due_at=row.due_at.isoformat())  # fmt: skip
    return texts.reminder_set(cards.shown(row.due_at, zone), str(zone), text)


def due_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Reminders due by `now` and not posted for their due time, oldest first."""
    query = (
        select(ReminderRow.id)
        .where(ReminderRow.status.in_([s.value for s in WAITING]), ReminderRow.due_at <= now)
        .order_by(ReminderRow.due_at, ReminderRow.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def post_due(
    session: Session, settings: Settings, reminder_id: int, now: datetime
) -> list[OutboxRow] | None:
    """Queue one due reminder's card; None when another scheduler (or an earlier tick) did."""
    late = False
    row = session.get(ReminderRow, reminder_id)
    if row is not None:
        late = now - row.due_at > LATE_AFTER
    moved = statuses.move(
        session, ReminderRow.status, ReminderStatus.POSTED, ReminderRow.id == reminder_id,
        ReminderRow.due_at <= now, old=WAITING, posted_at=now, late=late,
        posts=ReminderRow.posts + 1,
    )  # fmt: skip
    if not moved or row is None:
        return None
    session.refresh(row)
    batch = PostBatch(session, f"reminder:{row.id}:{row.posts}")
    card = cards.reminder_card(row, settings.zone)
    posted = batch.to_domain(settings, Platform(row.platform), row.domain, card)
    row.card_posts = [*row.card_posts, *(r.id for r in posted)]
    log_event(session, row, "reminder.posted", ACTOR, None, late=str(late), posts=str(len(posted)))
    return posted


def open_reminders(
    session: Session, domain: str | None = None, limit: int = 50
) -> list[ReminderRow]:
    """Unfinished reminders (of `domain` if given), soonest due first."""
    query = select(ReminderRow).where(ReminderRow.status.in_([s.value for s in UNFINISHED]))
    if domain is not None:
        query = query.where(ReminderRow.domain == domain)
    return list(session.scalars(query.order_by(ReminderRow.due_at, ReminderRow.id).limit(limit)))


def log_event(session: Session, row: ReminderRow, kind: str, actor: str, source: int | None,
         **data: str) -> None:  # fmt: skip
    record(session, kind=kind, actor=actor, domain=row.domain, subject=f"reminder:{row.id}",
           data={"text": row.text[:200], **data}, source_event_id=source)  # fmt: skip


OVERDUE_AFTER = timedelta(hours=24)  # still open this long after it was due: the hub hears


def overdue(
    session: Session, now: datetime, *, domain: str | None = None, limit: int = 10
) -> list[ReminderRow]:
    """Reminders still unanswered `OVERDUE_AFTER` after they were due, oldest first."""
    query = select(ReminderRow).where(
        ReminderRow.status.in_([ReminderStatus.OPEN.value, ReminderStatus.POSTED.value]),
        ReminderRow.due_at <= now - OVERDUE_AFTER,
    )
    if domain is not None:
        query = query.where(ReminderRow.domain == domain)
    return list(session.scalars(query.order_by(ReminderRow.due_at, ReminderRow.id).limit(limit)))
