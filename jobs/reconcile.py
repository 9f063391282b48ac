"""The reconciler: finds work stored but not finished and queues it again.

Runs when a worker starts and periodically in the scheduler, so a Redis outage, a lost job or
a killed worker loses nothing: the database is the record of what is still to do.

Queueing an event again costs it nothing: an attempt counts only when a worker starts it
(`start_attempt`), so no outage, however long, gives an event up. One that a worker started
MAX_EVENT_ATTEMPTS times without finishing is failed for good, with the reason, in the event
log; `parallelos reconcile --failed` runs those again (`rerun_failed`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Update, bindparam, func, select, update
from sqlalchemy.orm import Session

from domains.approvals.delivery import sweep
from domains.tools.service import sweep_effects
from jobs.agent_tasks import requeue_stale_turns
from orchestrator import metrics, outbox, statuses
from orchestrator.db import utcnow
from orchestrator.eventlog import record
from orchestrator.handoff import enqueue_event, enqueue_events, schedule_delivery
from orchestrator.models import InboundEventRow
from orchestrator.services import Services
from orchestrator.statuses import EventStatus

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=20)  # a younger event is probably still in its queue
MAX_EVENT_ATTEMPTS = 5  # starts by a worker, not times queued
PAGE = 1000  # stale events read (and queued in one Redis pipeline) at a time


@dataclass
class Reconciled:
    events: int = 0
    channels: int = 0
    expired: int = 0  # approvals past their expiry, marked expired
    webhooks: int = 0  # approved actions whose delivery was due again
    agent_turns: int = 0  # agent turns queued or running too long, queued again
    tool_effects: int = 0  # approved MCP effects whose job was lost, queued again


def reconcile(svc: Services, *, grace: timedelta = GRACE) -> Reconciled:
    result = Reconciled()
    after = 0
    while page := _stale_events(svc, grace, after=after):  # all of them, a page at a time
        # one Redis pipeline a page, several events to a job; an event a worker started and did
        # not finish (it raised, or the worker died in it) is retried alone, so a poison event
        # holds up no neighbour. A lone event keeps enqueue_event's job id: a job still queued
        # for it is the same job, not a second one.
        fresh = [event_id for event_id, attempts in page if not attempts]
        started = [event_id for event_id, attempts in page if attempts]
        enqueue_events(svc, fresh, alone=started)
        result.events += len(page)
        after = page[-1][0]
        if len(page) < PAGE:
            break
    for channel_key in outbox.due_channels(svc.db):
        schedule_delivery(svc, channel_key)
        result.channels += 1
    result.expired, result.webhooks = sweep(svc)
    result.agent_turns = requeue_stale_turns(svc)
    result.tool_effects = sweep_effects(svc)
    if result.events or result.channels or result.expired or result.webhooks:
        log.info(
            "reconciler: %d events re-queued, %d channels to deliver, "
            "%d approvals expired, %d webhook deliveries queued",
            result.events,
            result.channels,
            result.expired,
            result.webhooks,
        )
    return result


def _stale_events(svc: Services, grace: timedelta, *, after: int = 0) -> list[tuple[int, int]]:
    """Unfinished events older than `grace`, by id after `after`, a page of them, with their
    attempts so far. Nothing is counted here: only a start counts."""
    cutoff = utcnow() - grace
    with svc.db.session() as s:
        return [
            (row.id, row.attempts)
            for row in s.execute(
                select(InboundEventRow.id, InboundEventRow.attempts)
                .where(
                    InboundEventRow.status == EventStatus.RECEIVED,
                    InboundEventRow.created_at <= cutoff,
                    InboundEventRow.id > after,
                )
                .order_by(InboundEventRow.id)
                .limit(PAGE)
            )
        ]


def start_attempt(svc: Services, event_id: int) -> int | None:
    """Count one attempt as a worker starts the event; its number, or None: not to be run.

    An event already started MAX_EVENT_ATTEMPTS times without finishing (each run crashed or
    killed the worker) is failed here instead of being run again: a poison event never loops.
    """
    with svc.db.engine.begin() as conn:  # the usual case, one statement, no ORM session
        started = conn.execute(_START, {"b_id": event_id}).scalar_one_or_none()
    if started is not None:
        return int(started)
    with svc.db.session() as s:
        row = s.execute(
            select(InboundEventRow.status, InboundEventRow.attempts, InboundEventRow.error).where(
                InboundEventRow.id == event_id
            )
        ).one_or_none()
        if row is None or row.status != EventStatus.RECEIVED:
            return None
        if row.attempts >= MAX_EVENT_ATTEMPTS:
            last = f"; last error: {row.error}" if row.error else ""
            _fail(s, event_id, f"started {row.attempts} times, never finished{last}")
    return None


# A received event with attempts left counts one (built once: the hot path's first statement).
_START = (
    update(InboundEventRow)
    .where(
        InboundEventRow.id == bindparam("b_id"),
        InboundEventRow.status == EventStatus.RECEIVED,
        InboundEventRow.attempts < MAX_EVENT_ATTEMPTS,
    )
    .values(attempts=InboundEventRow.attempts + 1)
    .returning(InboundEventRow.attempts)
)


def attempt_failed(svc: Services, event_id: int, attempt: int, reason: str) -> bool:
    """Keep why a started attempt failed; the last allowed one fails the event for good."""
    final = attempt >= MAX_EVENT_ATTEMPTS
    with svc.db.session() as s:
        if final:
            _fail(s, event_id, f"failed {attempt} times; last error: {reason}")
        else:
            s.execute(_unfinished(event_id).values(error=reason))
    if not final:
        metrics.RETRIES.labels("event").inc()
    return final


def rerun_failed(svc: Services) -> int:
    """`reconcile --failed`: events that failed for good get fresh attempts and are queued."""
    with svc.db.session() as s:
        ids = list(
            s.scalars(
                select(InboundEventRow.id)
                .where(InboundEventRow.status == EventStatus.FAILED)
                .order_by(InboundEventRow.id)
            )
        )
        for event_id in ids:
            statuses.move(s, InboundEventRow.status, EventStatus.RECEIVED,
                          InboundEventRow.id == event_id, old=EventStatus.FAILED,
                          attempts=0, error=None)  # fmt: skip
            record(s, kind="event.retried", actor="operator", subject=f"event:{event_id}",
                   source_event_id=event_id)  # fmt: skip
    for event_id in ids:  # queued once committed; if Redis is away, the reconciler queues them
        enqueue_event(svc, event_id)
    return len(ids)


def failed_events(session: Session) -> int:
    """How many events failed for good (`doctor`, the dashboard)."""
    query = select(func.count()).where(InboundEventRow.status == EventStatus.FAILED)
    return int(session.scalar(query) or 0)


def _unfinished(event_id: int) -> Update:
    return update(InboundEventRow).where(
        InboundEventRow.id == event_id, InboundEventRow.status == EventStatus.RECEIVED
    )


def _fail(s: Session, event_id: int, reason: str) -> None:
    if statuses.move(
        s, InboundEventRow.status, EventStatus.FAILED, InboundEventRow.id == event_id, error=reason
    ):
        record(s, kind="event.failed", actor="worker", subject=f"event:{event_id}",
               data={"reason": reason}, source_event_id=event_id)  # fmt: skip
        log.error("event %s failed for good (%s)", event_id, _kind_of(reason))


def _kind_of(reason: str) -> str:
    """The exception's name in a failure reason: its message may quote what a person wrote."""
    return reason.rsplit("last error: ", 1)[-1].split(":", 1)[0]
