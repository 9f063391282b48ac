"""The edge's hand-off: allow-list, durable store, then queue (DESIGN rule 1).

The event is in the database before the platform gets its acknowledgement; if the queue is
down, the reconciler queues it later. A duplicate delivery is stored once and processed once.

Group commit: concurrent requests do not each pay a transaction and two Redis round trips.
`accept_async` puts the event on a list and waits; one writer task takes everything waiting,
stores it in one transaction (`store_events`), queues the new ids several to a job in one Redis
pipeline, and answers each request with its own outcome. Nothing waits on purpose: a lone
request is a batch of one, and what arrives while a batch is being written goes in the next one.
Each request is still answered only after its event is committed. A batch the database refuses
for a row's values is written again one event at a time, so one bad event never fails its
neighbours (it alone is `Unstorable`: 400); a batch failed otherwise (the database is down) fails
each of its requests (503, so the platform delivers them again). Identifiers too long for their
columns are refused before they join a batch (`fit`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool

from orchestrator import handoff, logs
from orchestrator.canonical import EventKind, InboundEvent
from orchestrator.ingest import BAD_ROW, Unstorable, fit, store_events
from orchestrator.services import Services

log = logging.getLogger(__name__)

MAX_BATCH = 100  # events one transaction and one pipeline take at most
_Waiting = tuple[InboundEvent, asyncio.Future[int | None]]  # an event and its request's answer


def enqueue_events(svc: Services, event_ids: Sequence[int]) -> None:
    """Queue the new events of a batch: ceil(n / EVENTS_PER_JOB) jobs, a lone event one
    `process_event` job (`orchestrator.handoff.enqueue_events`)."""
    handoff.enqueue_events(svc, event_ids)


class Intake:
    def __init__(self, services: Services) -> None:
        self.svc = services
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def allowed(self, event: InboundEvent) -> bool:
        """Strangers are ignored, except their clicks: those are told privately that only
        operators can use the buttons (CONTRACT §7.4), so they go through, and change nothing."""
        if self.svc.settings.is_allowed(event.identity) or event.kind is EventKind.ACTION:
            return True
        if event.anonymous and event.channel == str(self.svc.settings.telegram_chat_id):
            return True  # an admin of our own group, posting as the group: told to post as self
        log.info("ignored a message from %s: not in PARALLELOS_USERS", event.identity)
        return False

    def accept(self, event: InboundEvent) -> int | None:
        """Store and queue an event; return its id, or None (stranger or duplicate).
        Raises `Unstorable` for an event the database cannot keep."""
        if not self.allowed(event):
            return None
        return self.store_and_queue([fit(event)])[0]

    async def accept_async(self, event: InboundEvent) -> int | None:
        """`accept` for the event loop, sharing a transaction with concurrent requests."""
        if not self.allowed(event):
            return None
        event = fit(event)
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:  # another loop (not the web app's): no sharing
            return await run_in_threadpool(self.store_and_queue_one, event)
        outcome: asyncio.Future[int | None] = loop.create_future()
        self._waiting.append((event, outcome))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write())
        return await outcome

    def store_and_queue_one(self, event: InboundEvent) -> int | None:
        return self.store_and_queue([event])[0]

    def store_and_queue(self, events: Sequence[InboundEvent]) -> list[int | None]:
        """Store events in one transaction, then queue the new ones; ids, None for duplicates."""
        ids = store_events(self.svc.db, events)
        if log.isEnabledFor(logging.INFO):
            _log_stored(events, ids)
        new = [i for i in ids if i is not None]
        if new:
            try:
                enqueue_events(self.svc, new)
            except Exception as exc:  # Redis down: the events are stored; the reconciler queues
                log.warning(
                    "queue unavailable (%s); events %s wait for the reconciler",
                    type(exc).__name__,
                    ", ".join(map(str, new)),
                )
        return ids

    async def _write(self) -> None:
        """Write batches until nobody is waiting."""
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                await self._write_batch(batch)
            except BaseException:  # cancelled (shutting down): cancel what still waits
                for _, outcome in batch + self._waiting:
                    outcome.cancel()
                self._waiting = []
                raise

    async def _write_batch(self, batch: list[_Waiting]) -> None:
        """One transaction; if the database refuses a row in it, one transaction per event."""
        try:
            ids = await run_in_threadpool(self.store_and_queue, [e for e, _ in batch])
        except BAD_ROW as exc:
            if len(batch) > 1:
                log.warning("batch refused (%s); storing its events one by one", type(exc).__name__)
                for one in batch:
                    await self._write_batch([one])
                return
            refused = Unstorable(f"the database refused this event ({type(exc).__name__})")
            _settle(batch, error=refused)
            return
        except Exception as exc:  # each request answers 503; the platform retries it
            _settle(batch, error=exc)
            return
        for (_, outcome), event_id in zip(batch, ids, strict=True):
            if not outcome.done():  # a request cancelled meanwhile: its event is stored
                outcome.set_result(event_id)


def _log_stored(events: Sequence[InboundEvent], ids: Sequence[int | None]) -> None:
    """One line an event stored (ids and sizes, no text); skipped whole when nobody listens:
    a correlation context an event was a measurable part of the edge's CPU under load."""
    for event, event_id in zip(events, ids, strict=True):
        if event_id is None:
            log.debug("duplicate delivery %s:%s dropped", event.platform, event.external_id)
            continue
        with logs.correlation(logs.event_correlation(event_id)):
            log.info("stored %s %s %s as event %s (%d characters)", event.platform.value,
                     event.kind.value, event.external_id, event_id, len(event.text))  # fmt: skip


def _settle(batch: list[_Waiting], *, error: Exception) -> None:
    for _, outcome in batch:
        if not outcome.done():
            outcome.set_exception(error)
