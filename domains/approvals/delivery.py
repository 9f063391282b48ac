"""Approved actions: the webhook delivery (the `deliver_webhook` job), and the reconciler's sweep.

A delivery claims the approval with a lease (`pending` → `sending`), so one worker at a time
POSTs it; the outcome is written only by the worker still holding that claim. Passing failures
are retried with backoff; after MAX_ATTEMPTS, or on a refusal (4xx), the delivery fails: the
domain's channel is told and the card shows "approved, delivery failed" with a Retry button.
A worker that dies mid-POST leaves a lease that expires; the next attempt POSTs again under
the same Idempotency-Key, so the receiver still acts once.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from domains.approvals import cards
from domains.approvals import service as approvals
from domains.approvals import webhook as action_webhook
from domains.approvals.models import ApprovalRow
from domains.approvals.webhook import ActionPayload, Outcome, Result
from domains.cards import edit_cards
from orchestrator import metrics, statuses, texts
from orchestrator.canonical import Platform, Post
from orchestrator.db import Database, utcnow
from orchestrator.delivery import backoff
from orchestrator.eventlog import record
from orchestrator.handoff import deliver_channel, schedule_delivery
from orchestrator.posting import PostBatch
from orchestrator.services import Services
from orchestrator.statuses import ApprovalStatus, DeliveryStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # backoff 2, 4, 8 … s: about four minutes before giving up
LEASE = timedelta(seconds=60)  # longer than action_webhook.TIMEOUT
BACKOFF_BASE = 2.0
BACKOFF_CAP = 600.0
SWEEP_LIMIT = 200


def run_delivery(svc: Services, approval_id: int) -> Result | None:
    """One attempt; None when the approval was not due or another worker holds it."""
    claimed = _claim(svc.db, approval_id)
    if claimed is None:
        return None
    token, payload = claimed
    outcome = _send(svc, payload)
    keys, delay = _finish(svc, approval_id, token, outcome)
    for key in sorted(keys):
        deliver_channel(svc, key)
    if delay is not None:
        svc.queue.enqueue(
            "deliver_webhook",
            job_id=f"hook-{approval_id}-{token[:8]}",
            delay=delay + 0.05,
            approval_id=approval_id,
        )
    return outcome.result


def _claim(db: Database, approval_id: int) -> tuple[str, ActionPayload] | None:
    now, token = utcnow(), uuid.uuid4().hex
    due = or_(
        and_(
            ApprovalRow.webhook_status == DeliveryStatus.PENDING, ApprovalRow.webhook_next_at <= now
        ),
        and_(
            ApprovalRow.webhook_status == DeliveryStatus.SENDING,
            ApprovalRow.webhook_lease_until < now,
        ),
    )
    with db.session() as s:
        claimed = statuses.move(
            s,
            ApprovalRow.webhook_status,
            DeliveryStatus.SENDING,
            ApprovalRow.id == approval_id,
            due,
            webhook_claim=token,
            webhook_lease_until=now + LEASE,
            webhook_attempts=ApprovalRow.webhook_attempts + 1,
        )
        if not claimed:
            return None
        row = s.get(ApprovalRow, approval_id)
        assert row is not None and row.decided_at is not None
        payload = ActionPayload(
            approval_id=row.public_id,
            domain=row.domain,
            action=row.action,
            decided_by=row.decided_by or "",
            decided_at=row.decided_at,
        )
        return token, payload


def _send(svc: Services, payload: ActionPayload) -> Outcome:
    url, secret = svc.settings.action_webhook_url, svc.settings.action_webhook_secret
    if url is None:
        return Outcome(Result.FAILED, "ACTION_WEBHOOK_URL is not set")
    if secret is None or not secret.get_secret_value():
        return Outcome(Result.FAILED, "ACTION_WEBHOOK_SECRET is not set")
    return action_webhook.deliver(url, payload, secret.get_secret_value())


def _finish(
    svc: Services, approval_id: int, token: str, outcome: Outcome
) -> tuple[set[str], float | None]:
    """Write the outcome if this worker still holds the claim; posts to deliver, retry delay."""
    with svc.db.session() as s:
        row = s.get(ApprovalRow, approval_id)
        assert row is not None
        status, delay = _next_status(outcome, row.webhook_attempts)
        values: dict[str, object] = dict(webhook_claim=None, webhook_lease_until=None)
        if delay is not None:
            values["webhook_next_at"] = utcnow() + timedelta(seconds=delay)
        values["webhook_error"] = None if status is DeliveryStatus.DELIVERED else outcome.detail
        values["webhook_result"] = outcome.detail[:64] or None
        held = statuses.move(
            s, ApprovalRow.webhook_status, status, ApprovalRow.id == approval_id,
            ApprovalRow.webhook_claim == token, old=DeliveryStatus.SENDING, **values,
        )  # fmt: skip
        if not held:
            return set(), None  # our lease ran out and another worker took over
        if status is DeliveryStatus.PENDING:
            metrics.RETRIES.labels("webhook").inc()
        s.refresh(row)
        posts = PostBatch(s, f"hook{approval_id}:{token[:16]}")
        _report(s, posts, svc, row, outcome)
        return posts.channel_keys, delay


def _next_status(outcome: Outcome, attempts: int) -> tuple[DeliveryStatus, float | None]:
    if outcome.result is Result.DELIVERED:
        return DeliveryStatus.DELIVERED, None
    if outcome.result is Result.RETRY and attempts < MAX_ATTEMPTS:
        wait = backoff(attempts, base=BACKOFF_BASE, cap=BACKOFF_CAP)
        return DeliveryStatus.PENDING, max(wait, outcome.retry_after or 0.0)
    return DeliveryStatus.FAILED, None


def _report(
    s: Session, posts: PostBatch, svc: Services, row: ApprovalRow, outcome: Outcome
) -> None:
    """The event for every attempt; card edits when it ended; a notice when it failed."""
    status = DeliveryStatus(row.webhook_status)
    kind = {DeliveryStatus.DELIVERED: "approval.delivered", DeliveryStatus.FAILED:
            "approval.delivery_failed"}.get(status, "approval.delivery_retry")  # fmt: skip
    record(s, kind=kind, actor=approvals.SYSTEM, domain=row.domain,
           subject=f"approval:{row.public_id}",
           data={"attempt": row.webhook_attempts, "detail": outcome.detail})  # fmt: skip
    edit_cards(s, posts, row.card_posts, cards.approval_card(row))  # retrying, sent or failed
    if status is DeliveryStatus.PENDING:
        return
    if status is DeliveryStatus.FAILED:
        log.error("approval %s: action webhook failed: %s", row.public_id, outcome.detail)
        notice = texts.delivery_failed(row.domain, row.public_id, row.action, outcome.detail)
        posts.to_domain(svc.settings, Platform(row.platform), row.domain, Post(text=notice))


# -- the sweep (called by the reconciler) -----------------------------------------------------
def sweep(svc: Services) -> tuple[int, int]:
    """Expire pending approvals past their time; queue deliveries that are due or abandoned.

    Returns (approvals expired, deliveries queued).
    """
    expired = 0
    for approval_id in _due(svc.db, expiring=True):
        keys = _expire_one(svc, approval_id)
        expired += keys is not None
        for key in sorted(keys or ()):
            schedule_delivery(svc, key)
    queued = 0
    for approval_id in _due(svc.db, expiring=False):
        svc.queue.enqueue_once(
            "deliver_webhook", flag=f"hook-{approval_id}", approval_id=approval_id
        )
        queued += 1
    return expired, queued


def _due(db: Database, *, expiring: bool) -> list[int]:
    now = utcnow()
    if expiring:
        where = and_(ApprovalRow.status == ApprovalStatus.PENDING, ApprovalRow.expires_at <= now)
    else:
        where = or_(
            and_(ApprovalRow.webhook_status == DeliveryStatus.PENDING,
                 ApprovalRow.webhook_next_at <= now),
            and_(ApprovalRow.webhook_status == DeliveryStatus.SENDING,
                 ApprovalRow.webhook_lease_until < now),
        )  # fmt: skip
    with db.session() as s:
        query = select(ApprovalRow.id).where(where).order_by(ApprovalRow.id).limit(SWEEP_LIMIT)
        return list(s.scalars(query))


def _expire_one(svc: Services, approval_id: int) -> set[str] | None:
    with svc.db.session() as s:
        row = s.get(ApprovalRow, approval_id)
        if row is None or row.status != ApprovalStatus.PENDING or row.expires_at > utcnow():
            return None
        posts = PostBatch(s, f"apr{approval_id}:expired")
        if not approvals.expire(s, posts, row, source_event_id=None):
            return None
        return posts.channel_keys
