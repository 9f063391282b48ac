"""`GET /metrics` (CONTRACT §4): Prometheus text format, on this machine only (like `/`).

What every process counted comes from the shared multiprocess directory
(`orchestrator.metrics`); the queue's depth and the database's backlog are read when scraped,
so they are right whichever process did the work and after any restart.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from bot.web_local import this_machine_only
from orchestrator import health, metrics
from orchestrator.services import Services

log = logging.getLogger(__name__)
router = APIRouter(dependencies=[Depends(this_machine_only)])


@router.get("/metrics")
async def metrics_page(request: Request) -> Response:
    svc: Services = request.app.state.services
    body = await run_in_threadpool(metrics.exposition, metrics.Snapshot(lambda: readings(svc)))
    return Response(body, media_type=metrics.CONTENT_TYPE)


def readings(svc: Services) -> list[metrics.Reading]:
    """The gauges read now; a part that does not answer is left out (and logged), so the
    counters still come through while Redis or the database is away."""
    found: list[metrics.Reading] = []
    try:
        depth: dict[str, int] = getattr(svc.queue, "depth", dict)()
        found.append(("parallelos_queue_depth", "Jobs in the queue by state", ["state"],
                      [([state], float(n)) for state, n in depth.items()]))  # fmt: skip
    except Exception as exc:
        log.warning("metrics: queue depth not readable (%s)", type(exc).__name__)
    try:
        with svc.db.session() as s:
            b = health.backlog(s)
    except Exception as exc:
        log.warning("metrics: backlog not readable (%s)", type(exc).__name__)
        return found
    found += [
        ("parallelos_events_unfinished", "Stored events not yet handled", [],
         [([], float(b.unfinished_events))]),
        ("parallelos_oldest_unfinished_event_age_seconds", "Age of the oldest unhandled event",
         [], [([], b.oldest_age_seconds())]),
        ("parallelos_posts_unsent", "Outbox posts not yet delivered", [],
         [([], float(b.unsent_posts))]),
    ]  # fmt: skip
    return found
