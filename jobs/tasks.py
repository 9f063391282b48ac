"""RQ job functions: thin, keyword-only ids in, each safe to run again."""

from __future__ import annotations

import logging

from jobs import reconcile as reconciler
from jobs.queue import job_key
from jobs.services import Services, current

log = logging.getLogger(__name__)


def process_event(event_id: int) -> None:
    """Route and handle one stored event, then deliver what it posted."""
    svc = current()
    for channel_key in sorted(svc.orchestrator.process(event_id)):
        deliver_channel(svc, channel_key)


def deliver(channel_key: str, flag: str | None = None) -> None:
    """Deliver what is due on one outbox channel."""
    svc = current()
    if flag:
        svc.queue.clear_flag(flag)
    deliver_channel(svc, channel_key)


def reconcile() -> None:
    reconciler.reconcile(current())


def deliver_channel(svc: Services, channel_key: str) -> None:
    """Drain the channel now; if a post must wait (rate limit, backoff), schedule a retry."""
    wait = svc.deliverer.drain(channel_key)
    if wait is None:
        return
    if wait <= 0:
        schedule_delivery(svc, channel_key)
        return
    svc.queue.enqueue(
        "deliver",
        job_id=f"deliver-{job_key(channel_key)}-{int(wait * 1000)}",
        delay=wait + 0.05,
        channel_key=channel_key,
    )


def schedule_delivery(svc: Services, channel_key: str) -> None:
    svc.queue.enqueue_once("deliver", flag=job_key(channel_key), channel_key=channel_key)


def enqueue_event(svc: Services, event_id: int) -> None:
    svc.queue.enqueue("process_event", job_id=f"event-{event_id}", event_id=event_id)
