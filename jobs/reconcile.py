"""The reconciler: finds work stored but not finished and queues it again.

Runs when a worker starts and periodically in the scheduler, so a Redis outage, a lost job or
a killed worker loses nothing: the database is the record of what is still to do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from orchestrator import outbox, statuses
from orchestrator.db import utcnow
from orchestrator.eventlog import record
from orchestrator.models import InboundEventRow
from orchestrator.statuses import EventStatus

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=20)  # a younger event is probably still in its queue
MAX_EVENT_ATTEMPTS = 5


@dataclass
class Reconciled:
    events: int = 0
    channels: int = 0
    failed: int = 0
    expired: int = 0  # approvals past their expiry, marked expired
    webhooks: int = 0  # approved actions whose delivery was due again
    agent_turns: int = 0  # agent turns queued or running too long, queued again


def reconcile(svc, *, grace: timedelta = GRACE) -> Reconciled:  # type: ignore[no-untyped-def]
    from domains.approvals.delivery import sweep
    from jobs.agent_tasks import requeue_stale_turns
    from orchestrator.handoff import enqueue_event, schedule_delivery

    result = Reconciled()
    for event_id in _stale_events(svc, grace, result):
        enqueue_event(svc, event_id)
        result.events += 1
    for channel_key in outbox.due_channels(svc.db):
        schedule_delivery(svc, channel_key)
        result.channels += 1
    result.expired, result.webhooks = sweep(svc)
    result.agent_turns = requeue_stale_turns(svc)
    if result.events or result.channels or result.failed or result.expired or result.webhooks:
        log.info(
            "reconciler: %d events re-queued, %d channels to deliver, %d events given up, "
            "%d approvals expired, %d webhook deliveries queued",
            result.events,
            result.channels,
            result.failed,
            result.expired,
            result.webhooks,
        )
    return result


def _stale_events(svc, grace: timedelta, result: Reconciled) -> list[int]:  # type: ignore[no-untyped-def]
    """Unfinished events older than `grace`, counting an attempt on each; poison ones fail."""
    cutoff = utcnow() - grace
    with svc.db.session() as s:
        rows = s.execute(
            select(InboundEventRow.id, InboundEventRow.attempts)
            .where(
                InboundEventRow.status == EventStatus.RECEIVED, InboundEventRow.created_at <= cutoff
            )
            .order_by(InboundEventRow.id)
            .limit(1000)
        ).all()
        ids = []
        for event_id, attempts in rows:
            if attempts >= MAX_EVENT_ATTEMPTS:
                if not statuses.move(
                    s, InboundEventRow.status, EventStatus.FAILED, InboundEventRow.id == event_id,
                    error="gave up after retries",
                ):  # fmt: skip
                    continue  # finished meanwhile
                record(s, kind="event.failed", actor="reconciler", subject=f"event:{event_id}")
                result.failed += 1
                continue
            s.execute(
                update(InboundEventRow)
                .where(InboundEventRow.id == event_id)
                .values(attempts=InboundEventRow.attempts + 1)
            )
            ids.append(event_id)
    return ids
