"""The inbox and approvals on the local dashboard (actionable) and in `parallelos export`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains.approvals.views import failed_deliveries, pending_approvals
from domains.inbox import cards
from domains.inbox.models import ApprovalRow, InboxEntryRow
from domains.inbox.service import open_entries
from orchestrator.canonical import Button
from orchestrator.db import utcnow
from orchestrator.statuses import DeliveryStatus, InboxStatus


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
    header = ["#", "created", "from", "to", "priority", "status", "title", "privacy note"]
    cells = [
        [
            str(e.id),
            cards.when(e.created_at),
            e.from_domain,
            e.to_domain,
            e.priority,
            InboxStatus(e.status).value,
            e.title,
            e.privacy_note,
        ]  # fmt: skip
        for e in rows
    ]
    return _markdown_table("Inbox", header, cells)


def approvals_markdown(session: Session) -> str:
    """Every approval, newest first, decided or not: a Markdown table."""
    rows = session.scalars(select(ApprovalRow).order_by(ApprovalRow.id.desc())).all()
    header = ["id", "created", "domain", "action", "status", "proposed by", "decided by",
              "decided", "delivery"]  # fmt: skip
    cells = [
        [
            a.public_id,
            cards.when(a.created_at),
            a.domain,
            a.action,
            a.status,
            a.proposed_by,
            a.decided_name or a.decided_by or "",
            cards.when(a.decided_at) if a.decided_at else "",
            "" if a.webhook_status == DeliveryStatus.NONE else a.webhook_status,
        ]  # fmt: skip
        for a in rows
    ]
    return _markdown_table("Approvals", header, cells)


def _markdown_table(title: str, header: list[str], rows: list[list[str]]) -> str:
    lines = [f"# {title}", "", "| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for cells in rows:
        lines.append(
            "| " + " | ".join(" ".join(c.replace("|", "\\|").split()) for c in cells) + " |"
        )
    return "\n".join(lines) + "\n"


def _buttons(buttons: list[Button]) -> list[dict[str, str]]:
    return [{"label": b.label, "action": b.action, "value": b.value} for b in buttons]
