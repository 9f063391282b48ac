"""The inbox and approvals on the local dashboard (actionable) and in `parallelos export`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator import cards
from orchestrator.approval_views import failed_deliveries, pending_approvals
from orchestrator.canonical import Button
from orchestrator.db import utcnow
from orchestrator.inbox import open_entries
from orchestrator.inbox_models import InboxEntryRow
from orchestrator.statuses import InboxStatus


def register() -> None:
    """Add the dashboard sections and the export file (idempotent)."""
    from orchestrator import dashboard, export

    dashboard.SECTIONS["inbox"] = inbox_section
    dashboard.SECTIONS["approvals"] = approvals_section
    export.EXTRA_EXPORTS["inbox.md"] = inbox_markdown


def inbox_section(session: Session) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "id": e.id,
            "from": e.from_domain,
            "to": e.to_domain,
            "priority": e.priority,
            "title": e.title,
            "status": e.status,
            "age": cards.age(now - e.created_at),
            "buttons": _buttons(cards.inbox_card(e).buttons),
            "channel": f"local-{e.to_domain}",
        }
        for e in open_entries(session)
    ]


def approvals_section(session: Session) -> list[dict[str, Any]]:
    now = utcnow()
    rows = pending_approvals(session) + failed_deliveries(session)
    return [
        {
            "id": a.public_id,
            "domain": a.domain,
            "action": a.action,
            "status": a.status if a.webhook_status != "failed" else "approved, delivery failed",
            "age": cards.age(now - a.created_at),
            "buttons": _buttons(cards.approval_card(a).buttons),
            "channel": "local-dm",
        }
        for a in rows
    ]


def inbox_markdown(session: Session) -> str:
    """Every entry, newest first: the inbox as a Markdown table."""
    rows = session.scalars(select(InboxEntryRow).order_by(InboxEntryRow.id.desc())).all()
    lines = [
        "# Inbox",
        "",
        "| # | created | from | to | priority | status | title | privacy note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in rows:
        cells = [str(e.id), cards.when(e.created_at), e.from_domain, e.to_domain, e.priority,
                 InboxStatus(e.status).value, e.title, e.privacy_note]  # fmt: skip
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _buttons(buttons: list[Button]) -> list[dict[str, str]]:
    return [{"label": b.label, "action": b.action, "value": b.value} for b in buttons]
