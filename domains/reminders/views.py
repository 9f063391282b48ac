"""Reminders as people read them: the `reminders [domain]` command, the dashboard section
(actionable) and `reminders.md` in `parallelos export`. Times are in PARALLELOS_TIMEZONE."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains.cards import age, button_json, markdown_table, when, who
from domains.reminders import cards, texts
from domains.reminders.models import ReminderRow
from domains.reminders.service import open_reminders
from orchestrator import texts as core_texts
from orchestrator.canonical import Post
from orchestrator.db import utcnow
from orchestrator.statuses import ReminderStatus

if TYPE_CHECKING:
    from orchestrator.context import Context


def reminders_command(ctx: Context, args: list[str]) -> Post:
    """`reminders [domain]`: what is open (in a domain's channel: that domain's)."""
    known = ctx.orch.charters.names()
    event = ctx.event
    home = ctx.orch.directory.domain_of(event.platform, event.channel, event.thread)
    domain = args[0].lower().lstrip("#") if args else home
    if domain is not None and domain not in known:
        return Post(text=core_texts.unknown_domain(domain, known))
    zone = ctx.orch.settings.zone
    lines = [list_line(row, zone) for row in open_reminders(ctx.session, domain)]
    return Post(
        title=texts.heading(domain),
        text="\n".join(lines) or texts.EMPTY,
        context=texts.list_zone(str(zone)) if lines else None,
    )


def list_line(row: ReminderRow, zone: ZoneInfo) -> str:
    """`• #3 *travel* Tue 2 Dec 09:00: renew passport (overdue 2d)`."""
    status, now = ReminderStatus(row.status), utcnow()
    state = ""
    if status is ReminderStatus.SNOOZED:
        state = "snoozed"
    elif row.due_at <= now:
        state = texts.overdue(age(now - row.due_at))
    due = texts.local_time_year(cards.local(row.due_at, zone), cards.local(now, zone))
    return texts.list_line(row.id, row.domain, due, row.text, state)


def reminders_section(zone: ZoneInfo, session: Session) -> list[dict[str, Any]]:
    """Open reminders for the dashboard, with the card's buttons once it has been posted."""
    return [
        {
            "id": row.id,
            "domain": row.domain,
            "text": row.text,
            "due": cards.shown(row.due_at, zone),
            "zone": str(zone),
            "status": row.status,
            "buttons": button_json(cards.buttons(row.id, ReminderStatus(row.status))),
            "channel": f"local-{row.domain}",
        }
        for row in open_reminders(session)
    ]


def reminders_markdown(session: Session) -> str:
    """Every reminder, newest first, as a Markdown table (times in UTC, like every export)."""
    rows = session.scalars(select(ReminderRow).order_by(ReminderRow.id.desc())).all()
    header = ["#", "domain", "due", "status", "text", "set by", "posted", "late"]
    cells = [
        [
            str(r.id),
            r.domain,
            when(r.due_at),
            r.status,
            r.text,
            who(r.created_name, r.created_by),
            str(r.posts),
            "yes" if r.late else "",
        ]  # fmt: skip
        for r in rows
    ]
    return markdown_table("Reminders", header, cells)
