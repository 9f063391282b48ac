"""Approvals as a feature: the `approvals` command, Approve / Reject / Retry, view and file."""

from __future__ import annotations

from sqlalchemy.orm import Session

from domains.approvals import cards
from domains.approvals.service import decider
from domains.approvals.views import approvals_command, approvals_markdown, approvals_section, retry
from orchestrator.features import Feature
from orchestrator.statuses import ApprovalStatus

__all__ = ["feature"]


def feature() -> Feature:
    return Feature(
        name="approvals",
        commands={"approvals": approvals_command},
        actions={
            cards.APPROVE: decider(ApprovalStatus.APPROVED),
            cards.REJECT: decider(ApprovalStatus.REJECTED),
            cards.RETRY: retry,
        },
        views={"approvals": approvals_section},
        exports=(_export,),
    )


def _export(session: Session) -> dict[str, str]:
    return {"approvals.md": approvals_markdown(session)}
