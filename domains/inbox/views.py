"""The inbox on the local dashboard (actionable) and in `parallelos export`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains.cards import age, button_json, markdown_table, when, who
from domains.inbox import cards
from domains.inbox.models import InboxEntryRow
from domains.inbox.service import open_entries
from orchestrator.db import utcnow
from orchestrator.statuses import InboxStatus


def inbox_section(session: Session) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "id": e.id,
            "from": e.from_domain,
            "to": e.to_domain,
            "asked by": who(e.created_name, e.created_by),
            "priority": e.priority,
            "title": e.title,
            "status": e.status,
            "age": age(now - e.created_at),
            "buttons": button_json(cards.inbox_card(e).buttons),
            "channel": f"local-{e.to_domain}",
        }
        for e in open_entries(session)
    ]


def inbox_markdown(session: Session) -> str:
    """Every entry, newest first: the inbox as a Markdown table."""
    rows = session.scalars(select(InboxEntryRow).order_by(InboxEntryRow.id.desc())).all()
    header = ["#", "created", "from", "to", "priority", "status", "title", "privacy note"]
    cells = [
        [
            str(e.id),
            when(e.created_at),
            e.from_domain,
            e.to_domain,
            e.priority,
            InboxStatus(e.status).value,
            e.title,
            e.privacy_note,
        ]  # fmt: skip
        for e in rows
    ]
    return markdown_table("Inbox", header, cells)
