"""`parallelos scheduler`: the periodic reconciler, the brief clock and the reminder clock.

Briefs are scheduled here with croniter rather than `rq cron` (docs/briefs.md): RQ's cron is
beta and does not de-duplicate several running schedulers, while a database-unique
`(brief, period)` row makes any number of schedulers, restarts and redeliveries post once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from jobs import reconcile as reconciler
from jobs.brief_tick import shadow_reports, tick
from jobs.queue import InlineJobQueue, RQJobQueue, connect_redis
from jobs.reminder_tick import reminder_tick
from jobs.runtime import install
from jobs.worker import Build
from orchestrator.jobqueue import JobQueue
from orchestrator.services import Services
from orchestrator.settings import Settings, redacted

log = logging.getLogger(__name__)
RECONCILE_EVERY = 15.0
BRIEF_EVERY = 30.0


def run_scheduler(settings: Settings, *, build: Build, once: bool = False) -> None:
    conn = connect_redis(settings.redis_url)
    if conn is None:
        print(
            f"Redis is not reachable at {redacted(settings.redis_url)}: the scheduler runs "
            "due work in-process.",
            flush=True,
        )
        queue: JobQueue = InlineJobQueue()
    else:
        queue = RQJobQueue(conn)
    svc = build(settings, queue)
    install(svc)
    run_loop(svc, once=once)


def run_loop(svc: Services, *, once: bool = False) -> None:
    """Reconcile every RECONCILE_EVERY seconds; tick the brief and reminder clocks every
    BRIEF_EVERY."""
    next_reconcile = next_brief = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_reconcile:
            _guard("reconcile", reconciler.reconcile, svc)
            next_reconcile = now + RECONCILE_EVERY
        if now >= next_brief:
            _guard("brief tick", tick, svc)
            _guard("reminder tick", reminder_tick, svc)
            _guard("shadow reports", shadow_reports, svc)
            next_brief = now + BRIEF_EVERY
        if once:
            return
        time.sleep(max(0.0, min(next_reconcile, next_brief) - time.monotonic()))


def _guard(what: str, fn: Callable[[Services], object], svc: Services) -> None:
    """A failing pass is logged and tried again next time; the loop never dies of it."""
    try:
        fn(svc)
    except Exception:
        log.exception("%s failed", what)
