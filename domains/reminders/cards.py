"""The reminder's card: what it is, when it was due, what was done with it, and its buttons
(Done and Snooze while it waits for an answer; Done while snoozed; none once done)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from domains.cards import who
from domains.reminders import texts
from domains.reminders.models import ReminderRow
from orchestrator.canonical import Button, ButtonStyle, Field_, Post
from orchestrator.statuses import ReminderStatus

DONE, SNOOZE = "reminder_done", "reminder_snooze"


def local(moment: datetime, zone: ZoneInfo) -> datetime:
    """A naive-UTC (database) or aware time, in `zone`."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone)


def shown(moment: datetime, zone: ZoneInfo) -> str:
    """`Tue 2 Dec 09:00`, in `zone`."""
    return texts.local_time(local(moment, zone))


def reminder_card(row: ReminderRow, zone: ZoneInfo) -> Post:
    status = ReminderStatus(row.status)
    text = row.text
    if row.late and row.posted_at is not None:
        text = f"{text} {texts.late_mark(was_due(row, zone))}"
    return Post(
        title=texts.card_title(row.domain),
        text=text,
        fields=[
            Field_(label="Due", value=texts.due_line(shown(row.due_at, zone), str(zone))),
            Field_(label="Status", value=status_line(row, zone)),
        ],
        buttons=buttons(row.id, status),
        context=texts.card_context(who(row.created_name, row.created_by), row.id),
    )


def was_due(row: ReminderRow, zone: ZoneInfo) -> str:
    """When the late post was due: `09:00` on the day it was posted, else the date too."""
    due, posted = local(row.due_at, zone), local(row.posted_at or row.due_at, zone)
    return f"{due:%H:%M}" if due.date() == posted.date() else texts.local_time(due)


def status_line(row: ReminderRow, zone: ZoneInfo) -> str:
    status = ReminderStatus(row.status)
    by = who(row.updated_name, row.updated_by)
    if status is ReminderStatus.DONE and row.updated_at is not None:
        return texts.status_done(by, shown(row.updated_at, zone))
    if status is ReminderStatus.SNOOZED:
        return texts.status_snoozed(shown(row.due_at, zone), by)
    return status.value


def buttons(reminder_id: int, status: ReminderStatus) -> list[Button]:
    value = str(reminder_id)
    done = Button(label=texts.DONE_LABEL, action=DONE, value=value, style=ButtonStyle.PRIMARY)
    snooze = Button(label=texts.SNOOZE_LABEL, action=SNOOZE, value=value)
    if status is ReminderStatus.POSTED:
        return [done, snooze]
    return [done] if status is ReminderStatus.SNOOZED else []
