"""`parallelos scheduler`: the periodic reconciler (and, with briefs, the brief clock)."""

from __future__ import annotations

import logging

from jobs.queue import InlineJobQueue, RQJobQueue, connect_redis
from jobs.services import build_services, install
from jobs.worker import redacted, run_reconcile_loop
from orchestrator.settings import Settings

log = logging.getLogger(__name__)


def run_scheduler(settings: Settings, *, once: bool = False) -> None:
    conn = connect_redis(settings.redis_url)
    if conn is None:
        print(
            f"Redis is not reachable at {redacted(settings.redis_url)}: the scheduler runs "
            "due work in-process.",
            flush=True,
        )
        queue = InlineJobQueue()
    else:
        queue = RQJobQueue(conn)
    svc = build_services(settings, queue=queue)
    install(svc)
    run_reconcile_loop(svc, once=once)
