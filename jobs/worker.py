"""`parallelos worker`: an RQ worker that survives Redis outages and reconciles on start.

SimpleWorker (no fork per job) is used: on a 2-core machine the forking Worker tops out near
50 jobs/s, SimpleWorker near 150 (docs/benchmarks.md). Jobs are short and idempotent, and a
worker that dies mid-job loses nothing: the reconciler re-queues from the database.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

import redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from jobs import reconcile as reconciler
from jobs.queue import InlineJobQueue, RQJobQueue, connect_redis
from jobs.runtime import install
from orchestrator.jobqueue import JobQueue
from orchestrator.services import Services
from orchestrator.settings import Settings

Build = Callable[[Settings, JobQueue], Services]  # the composition root's builder

log = logging.getLogger(__name__)
IDLE_RECONCILE = 15.0


def redacted(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


def run_worker(settings: Settings, *, build: Build, burst: bool = False) -> None:
    conn = connect_redis(settings.redis_url)
    if conn is None:
        print(
            f"Redis is not reachable at {redacted(settings.redis_url)}: jobs run in-process "
            "in the web process; this worker only reconciles.",
            flush=True,
        )
        svc = build(settings, InlineJobQueue())
        install(svc)
        run_reconcile_loop(svc, once=burst)
        return
    delay = 1.0
    while True:
        try:
            _work(settings, conn, build=build, burst=burst)
            return
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("lost Redis (%s); reconnecting in %.0f s", type(exc).__name__, delay)
            time.sleep(delay)
            delay = min(delay * 2, 30.0)
            conn = connect_redis(settings.redis_url) or conn


def _work(settings: Settings, conn: redis.Redis, *, build: Build, burst: bool) -> None:
    queue = RQJobQueue(conn)
    svc = build(settings, queue)
    install(svc)
    reconciler.reconcile(svc)
    worker = SimpleWorker([queue.queue], connection=conn, serializer=JSONSerializer)
    worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")


def run_reconcile_loop(svc: Services, *, once: bool = False, every: float = IDLE_RECONCILE) -> None:
    while True:
        try:
            reconciler.reconcile(svc)
        except Exception:
            log.exception("reconcile failed")
        if once:
            return
        time.sleep(every)
