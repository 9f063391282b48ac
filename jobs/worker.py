"""`parallelos worker`: an RQ worker that survives Redis outages and reconciles on start.

SimpleWorker (no fork per job) is used: on a 2-core machine the forking Worker tops out near
50 jobs/s, SimpleWorker near 150 (docs/benchmarks.md). Jobs are short and idempotent, and a
worker that dies mid-job loses nothing: the reconciler re-queues from the database.

A job's exception fails the job, not the worker. If RQ's loop still quits on an error it cannot
handle, the worker exits with status 1 (a supervisor restarts it), never quietly with 0; if the
error was Redis going away, it reconnects instead, every RECONNECT_WAIT seconds at most, so it
works again as soon as Redis is back (RQ alone waits up to 60 s).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis
from rq.serializers import JSONSerializer

from jobs import reconcile as reconciler
from jobs.observe import ObservedWorker
from jobs.queue import InlineJobQueue, RQJobQueue, connect_redis
from jobs.runtime import install
from orchestrator.jobqueue import JobQueue
from orchestrator.services import Services
from orchestrator.settings import Settings, redacted

Build = Callable[[Settings, JobQueue], Services]  # the composition root's builder

log = logging.getLogger(__name__)
IDLE_RECONCILE = 15.0
RECONNECT_WAIT = 2.0  # the longest wait between two tries to reach Redis again


def run_worker(settings: Settings, *, build: Build, burst: bool = False) -> int:
    """Work until asked to stop (or, with `burst`, until the queue is empty); the exit status."""
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
        return 0
    delay = 0.5
    while True:
        try:
            if _work(settings, conn, build=build, burst=burst):
                return 0
            if connect_redis(settings.redis_url) is not None:
                log.error("the RQ worker quit on an error it could not handle: exiting, status 1")
                return 1
            raise redis.ConnectionError("Redis went away")
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("lost Redis (%s); reconnecting in %.1f s", type(exc).__name__, delay)
            time.sleep(delay)
            delay = min(delay * 2, RECONNECT_WAIT)
            conn = connect_redis(settings.redis_url) or conn


def _work(settings: Settings, conn: redis.Redis, *, build: Build, burst: bool) -> bool:
    """Run RQ's work loop; True when it ended as it should: asked to (a signal), or in a burst
    with the queue empty. False: it quit on an error of its own."""
    queue = RQJobQueue(conn)
    svc = build(settings, queue)
    install(svc)
    reconciler.reconcile(svc)
    worker = ObservedWorker([queue.queue], connection=conn, serializer=JSONSerializer)
    worker.max_connection_wait_time = RECONNECT_WAIT  # RQ's own retry while idle: 60 s at most
    try:
        worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
    finally:
        svc.close_senders()  # the Slack loop thread and its kept-alive session
    asked = worker._shutdown_requested_date is not None
    return asked or (burst and queue.queue.is_empty())


def run_reconcile_loop(svc: Services, *, once: bool = False, every: float = IDLE_RECONCILE) -> None:
    while True:
        try:
            reconciler.reconcile(svc)
        except Exception:
            log.exception("reconcile failed")
        if once:
            return
        time.sleep(every)
