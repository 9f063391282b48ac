"""Approvals (CONTRACT §7.4): nothing leaves the system without an operator's click.

`Propose: book the 9:40 flight` makes a pending approval and posts its card (Approve, Reject)
in the thread it was proposed in. Only operators decide; anyone else is answered privately and
nothing changes. The decision is a row in `approval_decisions`, UNIQUE per approval, inserted
in a savepoint: of any number of clicks, redeliveries or racing workers exactly one inserts it,
and only that one carries the action out (the domain's Latest decision, an event, and, with
ACTION_WEBHOOK_URL, a delivery job queued after commit). No text can approve anything.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domains import store
from domains.approvals import cards
from domains.approvals.effect import effect_of
from domains.approvals.models import ApprovalDecisionRow, ApprovalRow
from domains.cards import clicked_on, edit_cards, when
from domains.status_doc import apply_ops
from domains.status_lines import SetDecision
from orchestrator import statuses, texts
from orchestrator.canonical import Platform, Post, dump
from orchestrator.db import utcnow
from orchestrator.eventlog import record
from orchestrator.posting import PostBatch, reply_target
from orchestrator.settings import Settings
from orchestrator.statuses import ApprovalStatus, DeliveryStatus

if TYPE_CHECKING:
    from orchestrator.context import Context

SYSTEM = "system"
TOOL_KIND = "tool"  # an approval whose effect is an MCP tool call (domains.tools)
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def may_decide(settings: Settings, identity: str) -> bool:
    """Operators decide; the local chat's user too when no operator is configured at all."""
    if settings.is_operator(identity):
        return True
    return identity.startswith(f"{Platform.LOCAL.value}:") and not settings.operators


def new_public_id() -> str:
    """`a` and 9 characters without look-alikes: short enough for callback_data."""
    return "a" + "".join(secrets.choice(_ALPHABET) for _ in range(9))


# -- proposing --------------------------------------------------------------------------------
def propose(ctx: Context, domain: str, action: str) -> str:
    """A pending approval and its card, in the thread it was proposed in."""
    approval = create(ctx, domain, action)
    return texts.proposed(approval.public_id, ctx.orch.charters.get(domain).approval_expiry_days)


def create(
    ctx: Context, domain: str, action: str, *, kind: str = "action", card: Post | None = None
) -> ApprovalRow:
    """The pending approval row and its card (`card`, or the standard one), posted."""
    days = ctx.orch.charters.get(domain).approval_expiry_days
    now = utcnow()
    approval = ApprovalRow(
        public_id=new_public_id(),
        domain=domain,
        action=action,
        proposed_by=ctx.event.user_name or ctx.actor,
        created_at=now,
        expires_at=now + timedelta(days=days),
        status=ApprovalStatus.PENDING.value,
        webhook_status=DeliveryStatus.NONE.value,
        webhook_attempts=0,
        platform=ctx.event.platform.value,
        origin=dump(reply_target(ctx.event)),
        card_posts=[],
        source_event_id=ctx.event_id,
        kind=kind,
        effect=None if kind == TOOL_KIND else effect_of(ctx.orch.settings.action_webhook_url),
    )
    ctx.session.add(approval)
    ctx.session.flush()
    card = card or cards.approval_card(approval)
    if _is_home(ctx, domain):
        rows = [ctx.posts.add(reply_target(ctx.event), card)]
    else:
        rows = ctx.posts.to_domain(ctx.orch.settings, ctx.event.platform, domain, card)
    approval.card_posts = [row.id for row in rows]
    log_event(ctx.session, approval, "approval.proposed", ctx.actor, ctx.event_id, action=action)
    return approval


def _is_home(ctx: Context, domain: str) -> bool:
    event = ctx.event
    return ctx.orch.directory.domain_of(event.platform, event.channel, event.thread) == domain


# -- deciding ---------------------------------------------------------------------------------
def decider(outcome: ApprovalStatus) -> Callable[[Context, str], None]:
    def click(ctx: Context, value: str) -> None:
        decide(ctx, value, outcome)

    return click


def find(session: Session, public_id: str) -> ApprovalRow | None:
    return session.scalars(select(ApprovalRow).where(ApprovalRow.public_id == public_id)).first()


def find_clicked(ctx: Context, public_id: str) -> ApprovalRow | None:
    """The approval whose own card was clicked; None for an unknown id or another card's."""
    approval = find(ctx.session, public_id)
    if approval is None or not clicked_on(ctx.session, approval.card_posts, ctx.event):
        return None
    return approval


def decide(ctx: Context, public_id: str, outcome: ApprovalStatus) -> None:
    """An operator's Approve or Reject; every other case is a private answer, no change."""
    approval = find_clicked(ctx, public_id)
    if approval is None:
        ctx.posts.answer(ctx.event, Post(text=texts.stale_action()))
        return
    if not may_decide(ctx.orch.settings, ctx.actor):
        log_event(
            ctx.session, approval, "approval.refused", ctx.actor, ctx.event_id, wanted=outcome
        )
        ctx.posts.answer(ctx.event, Post(text=texts.NOT_OPERATOR))
        return
    if approval.status == ApprovalStatus.PENDING and utcnow() >= approval.expires_at:
        expire(ctx.session, ctx.posts, approval, source_event_id=ctx.event_id)
    if approval.status != ApprovalStatus.PENDING or not settle(
        ctx.session, approval, outcome, ctx.actor, ctx.event_id, ctx.event.user_name
    ):
        ctx.posts.answer(ctx.event, Post(text=_already(approval)))
        return
    if outcome is ApprovalStatus.APPROVED:
        _carry_out(ctx, approval)
    edit_cards(ctx.session, ctx.posts, approval.card_posts, cards.approval_card(approval))
    log_event(ctx.session, approval, f"approval.{outcome.value}", ctx.actor, ctx.event_id)


def settle(
    session: Session,
    approval: ApprovalRow,
    outcome: ApprovalStatus,
    actor: str,
    source_event_id: int | None,
    name: str | None = None,
) -> bool:
    """Store the one decision; False when another decision got there first."""
    now = utcnow()
    try:
        with session.begin_nested():
            session.add(
                ApprovalDecisionRow(
                    approval_id=approval.id,
                    outcome=outcome.value,
                    decided_by=actor,
                    decided_at=now,
                    source_event_id=source_event_id,
                )
            )
    except IntegrityError:
        session.refresh(approval)
        return False
    statuses.move(
        session, ApprovalRow.status, outcome, ApprovalRow.id == approval.id,
        decided_by=actor, decided_name=name, decided_at=now,
    )  # fmt: skip
    session.refresh(approval)
    return True


def _carry_out(ctx: Context, approval: ApprovalRow) -> None:
    """Once, by the click that won: the Latest decision, then the webhook job after commit."""
    who = ctx.event.user_name or ctx.actor
    doc = store.load_doc(ctx.session, approval.domain, for_update=True)
    text = f"{approval.action} (approved by {who}, {when(approval.decided_at)})"
    new, changes = apply_ops(doc, [SetDecision(text=text)], actor=ctx.actor, at=utcnow())
    if new != doc:
        store.save_doc(ctx.session, new, changes, actor=ctx.actor,
                       source_event_id=ctx.event_id,
                       charter_version=ctx.orch.charters.revision(approval.domain))  # fmt: skip
    if approval.kind == TOOL_KIND:  # the tool call is the effect: one job makes it
        ctx.jobs.append(("tool_effect", {"approval_id": approval.id}))
        return
    approval.effect = effect_of(ctx.orch.settings.action_webhook_url)  # what happens now
    if ctx.orch.settings.action_webhook_url is None:
        return
    statuses.move(
        ctx.session, ApprovalRow.webhook_status, DeliveryStatus.PENDING,
        ApprovalRow.id == approval.id, old=DeliveryStatus.NONE, webhook_next_at=utcnow(),
    )  # fmt: skip
    ctx.jobs.append(("deliver_webhook", {"approval_id": approval.id}))


def expire(
    session: Session, posts: PostBatch, approval: ApprovalRow, *, source_event_id: int | None
) -> bool:
    """Mark a pending approval past its time expired (lazily on a click, or by the sweep)."""
    if not settle(session, approval, ApprovalStatus.EXPIRED, SYSTEM, source_event_id):
        return False
    edit_cards(session, posts, approval.card_posts, cards.approval_card(approval))
    log_event(session, approval, "approval.expired", SYSTEM, source_event_id)
    return True


def _already(approval: ApprovalRow) -> str:
    who = approval.decided_name or approval.decided_by
    return texts.already_decided(approval.status, who, when(approval.decided_at))


def log_event(
    session: Session,
    approval: ApprovalRow,
    kind: str,
    actor: str,
    source_event_id: int | None,
    **data: str,
) -> None:
    record(
        session,
        kind=kind,
        actor=actor,
        domain=approval.domain,
        subject=f"approval:{approval.public_id}",
        data=dict(data),
        source_event_id=source_event_id,
    )
