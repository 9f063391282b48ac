"""The card's buttons: Done, and Snooze (the same time a day later, posted again then).

Each click is one guarded move (`statuses.move`): of a click and its redelivery, or two people
clicking at once, one moves the row and edits every copy of the card; the other is answered
privately with what already happened, and nothing changes. Only users reach here: the pipeline
refuses anyone else's clicks before any action runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from domains.cards import edit_cards, who
from domains.reminders import cards, texts
from domains.reminders.models import ReminderRow
from domains.reminders.parse import day_later
from domains.reminders.service import log_event
from orchestrator import statuses
from orchestrator import texts as core_texts
from orchestrator.canonical import Post
from orchestrator.db import utcnow
from orchestrator.statuses import ReminderStatus

if TYPE_CHECKING:
    from orchestrator.context import Context


def done(ctx: Context, value: str) -> None:
    row = _find(ctx, value)
    if row is not None:
        _move(ctx, row, ReminderStatus.DONE, due_at=row.due_at)


def snooze(ctx: Context, value: str) -> None:
    row = _find(ctx, value)
    if row is not None:
        zone = ctx.orch.settings.zone
        due = day_later(utcnow(), zone).replace(tzinfo=None)
        _move(ctx, row, ReminderStatus.SNOOZED, due_at=due)


def _find(ctx: Context, value: str) -> ReminderRow | None:
    known = value.isdigit() and len(value) <= 18  # a BIGINT, not any string of digits
    row = ctx.session.get(ReminderRow, int(value)) if known else None
    if row is None:
        ctx.posts.answer(ctx.event, Post(text=core_texts.stale_action()))
    return row


def _move(ctx: Context, row: ReminderRow, new: ReminderStatus, **values: object) -> None:
    old = ReminderStatus(row.status)
    now = utcnow()
    moved = statuses.can_move(old, new) and statuses.move(
        ctx.session, ReminderRow.status, new, ReminderRow.id == row.id, old=old,
        updated_at=now, updated_by=ctx.actor, updated_name=ctx.event.user_name, **values,
    )  # fmt: skip
    ctx.session.refresh(row)
    zone = ctx.orch.settings.zone
    if not moved:
        ctx.posts.answer(ctx.event, Post(text=_refusal(row, zone)))
        return
    edit_cards(ctx.session, ctx.posts, row.card_posts, cards.reminder_card(row, zone))
    log_event(ctx.session, row, f"reminder.{new.value}", ctx.actor, ctx.event_id,
              old=old.value, due_at=row.due_at.isoformat())  # fmt: skip


def _refusal(row: ReminderRow, zone: ZoneInfo) -> str:
    status = ReminderStatus(row.status)
    if status is ReminderStatus.OPEN:
        return texts.not_due_yet()
    until = cards.shown(row.due_at, zone) if status is ReminderStatus.SNOOZED else None
    return texts.already(status.value, who(row.updated_name, row.updated_by), until)
