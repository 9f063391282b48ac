"""The approval's card: what each status looks like, and its buttons (Approve, Reject, Retry).

A pending card says what approving will do (`effect`): the latest decision, and the action
webhook's host and JSON body. Once approved it shows the webhook's result, edited in place on
every outcome: sending, retrying (with the status that failed), sent, or failed with why.
"""

from __future__ import annotations

from domains.approvals.effect import body_preview
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


def effect_text(approval: ApprovalRow) -> str:
    """What approving does, from the effect stored when it was proposed."""
    hook = (approval.effect or {}).get("webhook")
    if not hook:
        return texts.approval_effect(approval.domain, None, None)
    body = body_preview(hook["fields"], public_id=approval.public_id, domain=approval.domain,
                        action=approval.action)  # fmt: skip
    return texts.approval_effect(approval.domain, hook["host"], body)


def _approval_fields(
    approval: ApprovalRow, status: ApprovalStatus, delivery: DeliveryStatus
) -> list[Field_]:
    fields = [Field_(label="Proposed by", value=approval.proposed_by)]
    if status is ApprovalStatus.PENDING:
        return [
            *fields,
            Field_(label="If approved", value=effect_text(approval)),
            Field_(label="Expires", value=when(approval.expires_at)),
        ]
    if status is ApprovalStatus.EXPIRED:
        return [
            *fields,
            Field_(label="Status", value=texts.expired_line(when(approval.decided_at))),
        ]
    decider = who(approval.decided_name, approval.decided_by)
    fields.append(Field_(label="Status", value=texts.decided_line(status.value, decider,
                                                                  when(approval.decided_at))))  # fmt: skip
    if delivery is not DeliveryStatus.NONE:
        fields.append(Field_(label="Action webhook", value=_delivery(approval, delivery)))
    return fields


def _delivery(approval: ApprovalRow, delivery: DeliveryStatus) -> str:
    hook = (approval.effect or {}).get("webhook") or {}
    detail = approval.webhook_result if delivery is DeliveryStatus.DELIVERED else None
    return texts.delivery_line(delivery.value, hook.get("host"), approval.webhook_attempts,
                               detail or approval.webhook_error)  # fmt: skip


def _approval_buttons(public_id: str, status: ApprovalStatus, failed: bool) -> list[Button]:
    if status is ApprovalStatus.PENDING:
        return [
            Button(label="Approve", action=APPROVE, value=public_id, style=ButtonStyle.PRIMARY),
            Button(label="Reject", action=REJECT, value=public_id, style=ButtonStyle.DANGER),
        ]
    if failed:
        return [Button(label="Retry", action=RETRY, value=public_id, style=ButtonStyle.PRIMARY)]
    return []
