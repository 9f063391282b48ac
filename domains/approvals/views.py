"""The `approvals` command, the Retry button, the dashboard view and the export file, and the
queries briefs use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains.approvals.cards import approval_card
from domains.approvals.models import ApprovalRow
from domains.approvals.service import find_clicked, log_event, may_decide
from domains.cards import age, button_json, edit_cards, markdown_table, when
from orchestrator import statuses, texts
from orchestrator.canonical import Post
from orchestrator.db import utcnow
from orchestrator.statuses import ApprovalStatus, DeliveryStatus

if TYPE_CHECKING:
    from orchestrator.context import Context


def pending_approvals(session: Session, domain: str | None = None) -> list[ApprovalRow]:
    """Pending and not yet past their expiry, oldest first."""
    query = select(ApprovalRow).where(
        ApprovalRow.status == ApprovalStatus.PENDING, ApprovalRow.expires_at > utcnow()
    )
    if domain is not None:
        query = query.where(ApprovalRow.domain == domain)
    return list(session.scalars(query.order_by(ApprovalRow.created_at, ApprovalRow.id)))


def failed_deliveries(session: Session) -> list[ApprovalRow]:
    query = select(ApprovalRow).where(ApprovalRow.webhook_status == DeliveryStatus.FAILED)
    return list(session.scalars(query.order_by(ApprovalRow.decided_at)))


def approvals_command(ctx: Context, args: list[str]) -> Post:  # noqa: ARG001
    """`approvals`: what waits for an operator, with its age; failed deliveries after."""
    now = utcnow()
    lines = [
        texts.approval_line(
            a.domain, a.public_id, a.action, age(now - a.created_at),
            age(a.expires_at - now),
        )
        for a in pending_approvals(ctx.session)
    ]  # fmt: skip
    lines += [
        texts.failed_delivery_line(a.domain, a.public_id, a.action)
        for a in failed_deliveries(ctx.session)
    ]
    return Post(title="Approvals", text="\n".join(lines) or texts.APPROVALS_EMPTY)


def retry(ctx: Context, public_id: str) -> None:
    """Retry (operators only): a failed delivery goes back to pending and is queued again."""
    approval = find_clicked(ctx, public_id)
    if approval is None:
        ctx.posts.answer(ctx.event, Post(text=texts.stale_action()))
        return
    if not may_decide(ctx.orch.settings, ctx.actor):
        ctx.posts.answer(ctx.event, Post(text=texts.NOT_OPERATOR_RETRY))
        return
    moved = statuses.move(
        ctx.session, ApprovalRow.webhook_status, DeliveryStatus.PENDING,
        ApprovalRow.id == approval.id, old=DeliveryStatus.FAILED,
        webhook_attempts=0, webhook_next_at=utcnow(), webhook_error=None,
    )  # fmt: skip
    if not moved:
        ctx.posts.answer(ctx.event, Post(text=texts.cannot_retry()))
        return
    ctx.session.refresh(approval)
    edit_cards(ctx.session, ctx.posts, approval.card_posts, approval_card(approval))
    log_event(ctx.session, approval, "approval.retry", ctx.actor, ctx.event_id)
    ctx.jobs.append(("deliver_webhook", {"approval_id": approval.id}))


def approvals_section(session: Session) -> list[dict[str, Any]]:
    now = utcnow()
    rows = pending_approvals(session) + failed_deliveries(session)
    return [
        {
            "id": a.public_id,
            "domain": a.domain,
            "action": a.action,
            "proposed by": a.proposed_by,
            "status": a.status if a.webhook_status != "failed" else "approved, delivery failed",
            "age": age(now - a.created_at),
            "buttons": button_json(approval_card(a).buttons),
            "channel": "local-dm",
        }
        for a in rows
    ]


def approvals_markdown(session: Session) -> str:
    """Every approval, newest first, decided or not: a Markdown table."""
    rows = session.scalars(select(ApprovalRow).order_by(ApprovalRow.id.desc())).all()
    header = ["id", "created", "domain", "action", "status", "proposed by", "decided by",
              "decided", "delivery"]  # fmt: skip
    cells = [
        [
            a.public_id,
            when(a.created_at),
            a.domain,
            a.action,
            a.status,
            a.proposed_by,
            a.decided_name or a.decided_by or "",
            when(a.decided_at) if a.decided_at else "",
            "" if a.webhook_status == DeliveryStatus.NONE else a.webhook_status,
        ]  # fmt: skip
        for a in rows
    ]
    return markdown_table("Approvals", header, cells)
