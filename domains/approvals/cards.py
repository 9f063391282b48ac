"""The approval's card: what each status looks like, and its buttons (Approve, Reject, Retry)."""

from __future__ import annotations

from domains.approvals.models import ApprovalRow
from domains.cards import when, who
from orchestrator import texts
from orchestrator.canonical import Button, ButtonStyle, Field_, Post
from orchestrator.statuses import ApprovalStatus, DeliveryStatus

APPROVE, REJECT, RETRY = "approve", "reject", "approval_retry"


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
    decider = who(approval.decided_name, approval.decided_by)
    fields.append(Field_(label="Status", value=texts.decided_line(status.value, decider,
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
