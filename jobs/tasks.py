"""RQ job functions: thin, keyword-only ids in, each safe to run again."""

from __future__ import annotations

import logging
from typing import Any

from domains.approvals.delivery import run_delivery
from jobs import reconcile as reconciler
from jobs.agent_tasks import agent_route, agent_turn, brief_summary  # noqa: F401  (jobs)
from jobs.runtime import current
from orchestrator.handoff import deliver_channel

log = logging.getLogger(__name__)


def process_event(event_id: int) -> None:
    """Route and handle one stored event, deliver what it posted, then queue its jobs."""
    svc = current()
    jobs: list[tuple[str, dict[str, Any]]] = []
    for channel_key in sorted(svc.orchestrator.process(event_id, after_commit=jobs.extend)):
        deliver_channel(svc, channel_key)
    for n, (name, kwargs) in enumerate(jobs):
        try:
            svc.queue.enqueue(name, job_id=f"{name}-ev{event_id}-{n}", **kwargs)
        except Exception as exc:  # the work is in the database: the reconciler queues it
            log.warning("job %s not queued (%s); left to the reconciler", name, type(exc).__name__)


def deliver(channel_key: str, flag: str | None = None) -> None:
    """Deliver what is due on one outbox channel."""
    svc = current()
    if flag:
        svc.queue.clear_flag(flag)
    deliver_channel(svc, channel_key)


def reconcile() -> None:
    reconciler.reconcile(current())


def deliver_webhook(approval_id: int, flag: str | None = None) -> None:
    """POST one approved action to ACTION_WEBHOOK_URL (once; retried with backoff)."""
    svc = current()
    if flag:
        svc.queue.clear_flag(flag)
    run_delivery(svc, approval_id)
