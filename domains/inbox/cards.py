"""The cards of the inbox and of approvals: what each status looks like, and its buttons.

A card is posted once and edited in place (`PostBatch.add(..., update_of=card)`) on every
change, so a card always shows the current status; a finished card has no buttons.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from domains.inbox.models import ApprovalRow, InboxEntryRow
from orchestrator import texts
from orchestrator.canonical import Button, ButtonStyle, Field_, Post, Target
from orchestrator.models import OutboxRow
from orchestrator.posting import PostBatch
from orchestrator.statuses import ApprovalStatus, DeliveryStatus, InboxStatus

ACCEPT, DONE, DECLINE = "inbox_accept", "inbox_done", "inbox_decline"
APPROVE, REJECT, RETRY = "approve", "reject", "approval_retry"


def when(moment: datetime | None) -> str:
    """`2026-11-22 10:03 UTC` (timestamps are naive UTC)."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "?"


def age(span: timedelta) -> str:
    """A short human duration: `45m`, `3h`, `2d`."""
    minutes = max(0, int(span.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}m"
    return f"{minutes // 60}h" if minutes < 24 * 60 else f"{minutes // (24 * 60)}d"


# -- inbox ------------------------------------------------------------------------------------
def inbox_card(entry: InboxEntryRow) -> Post:
    status = InboxStatus(entry.status)
    line = status.value
    if entry.updated_by and status is not InboxStatus.OPEN:
        line = texts.decided_line(status.value, _who(entry.updated_name, entry.updated_by),
                                  when(entry.updated_at))  # fmt: skip
    return Post(
        title=texts.inbox_card_title(entry.from_domain, entry.to_domain),
        text=entry.ask,
        sections=[Field_(label="Context", value=entry.context)] if entry.context else [],
        fields=[Field_(label="Priority", value=entry.priority), Field_(label="Status", value=line)],
        buttons=_inbox_buttons(entry.id, status),
        context=f"{entry.privacy_note} · inbox #{entry.id}",
    )


def _inbox_buttons(entry_id: int, status: InboxStatus) -> list[Button]:
    value = str(entry_id)
    accept = Button(label="Accept", action=ACCEPT, value=value, style=ButtonStyle.PRIMARY)
    done = Button(label="Done", action=DONE, value=value, style=ButtonStyle.PRIMARY)
    decline = Button(label="Decline", action=DECLINE, value=value, style=ButtonStyle.DANGER)
    if status is InboxStatus.OPEN:
        return [accept, done.model_copy(update={"style": ButtonStyle.DEFAULT}), decline]
    return [done, decline] if status is InboxStatus.ACCEPTED else []


# -- approvals --------------------------------------------------------------------------------
def approval_card(approval: ApprovalRow) -> Post:
    status = ApprovalStatus(approval.status)
    delivery = DeliveryStatus(approval.webhook_status)
    failed = delivery is DeliveryStatus.FAILED
    return Post(
        title=texts.approval_title(status.value, approval.domain, failed),
        text=approval.action,
        fields=_approval_fields(approval, status, delivery),
        buttons=_approval_buttons(approval.public_id, status, failed),
        context=f"approval {approval.public_id} · only an operator's click decides",
    )


def _approval_fields(
    approval: ApprovalRow, status: ApprovalStatus, delivery: DeliveryStatus
) -> list[Field_]:
    fields = [Field_(label="Proposed by", value=approval.proposed_by)]
    if status is ApprovalStatus.PENDING:
        return [*fields, Field_(label="Expires", value=when(approval.expires_at))]
    if status is ApprovalStatus.EXPIRED:
        return [
            *fields,
            Field_(label="Status", value=texts.expired_line(when(approval.decided_at))),
        ]
    who = _who(approval.decided_name, approval.decided_by)
    fields.append(Field_(label="Status", value=texts.decided_line(status.value, who,
                                                                  when(approval.decided_at))))  # fmt: skip
    if delivery is not DeliveryStatus.NONE:
        line = texts.DELIVERY_LINES[delivery.value]
        if delivery is DeliveryStatus.FAILED and approval.webhook_error:
            line += f" ({approval.webhook_error})"
        fields.append(Field_(label="Action webhook", value=line))
    return fields


def _approval_buttons(public_id: str, status: ApprovalStatus, failed: bool) -> list[Button]:
    if status is ApprovalStatus.PENDING:
        return [
            Button(label="Approve", action=APPROVE, value=public_id, style=ButtonStyle.PRIMARY),
            Button(label="Reject", action=REJECT, value=public_id, style=ButtonStyle.DANGER),
        ]
    if failed:
        return [Button(label="Retry", action=RETRY, value=public_id, style=ButtonStyle.PRIMARY)]
    return []


# -- posting and editing ----------------------------------------------------------------------
def post_cards(posts: PostBatch, targets: Iterable[Target], card: Post) -> list[int]:
    """Post a card to each target; the outbox ids to edit later."""
    return [posts.add(target, card).id for target in targets]


def edit_cards(session: Session, posts: PostBatch, card_ids: Iterable[int], card: Post) -> None:
    """Queue an edit of every copy of a card, each after the card itself (same channel)."""
    for card_id in card_ids:
        row = session.get(OutboxRow, card_id)
        if row is not None:
            posts.add(Target.model_validate(row.target), card, update_of=card_id)


def _who(name: str | None, identity: str | None) -> str:
    return name or identity or "?"
