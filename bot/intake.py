"""The edge's hand-off: allow-list, durable store, then queue (DESIGN rule 1).

The event is in the database before the platform gets its acknowledgement; if the queue is
down, the reconciler queues it later. A duplicate delivery is stored once and processed once.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool

from jobs.services import Services
from jobs.tasks import enqueue_event
from orchestrator.canonical import EventKind, InboundEvent
from orchestrator.ingest import store_events

log = logging.getLogger(__name__)


class Intake:
    def __init__(self, services: Services) -> None:
        self.svc = services

    def accept(self, event: InboundEvent) -> int | None:
        """Store and queue an event; return its id, or None (stranger or duplicate)."""
        # Strangers are ignored, except their clicks: those are told privately that only
        # operators can use the buttons (CONTRACT §7.4), so they go through and change nothing.
        if not self.svc.settings.is_allowed(event.identity) and event.kind is not EventKind.ACTION:
            log.info("ignored a message from %s: not in PARALLELOS_USERS", event.identity)
            return None
        (event_id,) = store_events(self.svc.db, [event])
        if event_id is None:
            log.debug("duplicate delivery %s:%s dropped", event.platform, event.external_id)
            return None
        try:
            enqueue_event(self.svc, event_id)
        except Exception as exc:  # Redis down: the event is stored; the reconciler queues it
            log.warning(
                "queue unavailable (%s); event %s waits for the reconciler",
                type(exc).__name__,
                event_id,
            )
        return event_id

    async def accept_async(self, event: InboundEvent) -> int | None:
        return await run_in_threadpool(self.accept, event)
