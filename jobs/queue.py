"""Where background work goes: RQ when Redis answers, threads in this process otherwise.

Jobs are named (`process_event`, `deliver`, `reconcile`), take ids as keyword arguments and use
RQ's JSON serializer: no pickled objects cross the queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from jobs.observe import meta_for, observed
from orchestrator import logs

log = logging.getLogger(__name__)

QUEUE_NAME = "parallelos"
JOB_TIMEOUT = 120
FLAG_TTL = 120  # seconds a "delivery already queued" flag may outlive a dead job
TIMEOUT_KEY = "job_timeout"  # a job's own timeout in seconds, taken out of its kwargs


TAKE_SCAN = 64  # queue entries, from its head, that `take_events` looks through
TAKEN_TTL = 300  # s a taken job's hash is kept: longer than any run of a copy of it (JOB_TIMEOUT)
SHARE = 2  # a taker leaves this share of the waiting events to the other workers (1: none)
# KEYS[1] the queue's list; ARGV: how many to take at most, how far to look, the job hash prefix,
# the taker's own job id (a second copy of it is left queued), the taken hashes' TTL, SHARE.
# Of the fresh events' jobs found, 1/SHARE is taken (rounded down), so a backlog is split
# between the workers instead of one taking it while the other idles. A taken job's hash
# expires instead of being deleted: another copy of the same job may be running now.
_TAKE = """
local ids = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local found = {}
for _, id in ipairs(ids) do
  if id ~= ARGV[4] and string.match(id, '^event%-%d+$') then
    table.insert(found, id)
  end
end
local limit = math.min(tonumber(ARGV[1]), math.floor(#found / tonumber(ARGV[6])))
local taken = {}
for n = 1, limit do
  redis.call('LREM', KEYS[1], 1, found[n])
  redis.call('EXPIRE', ARGV[3] .. found[n], tonumber(ARGV[5]))
  table.insert(taken, found[n])
end
return taken
"""


class RQJobQueue:
    in_process = False

    def __init__(self, connection: redis.Redis) -> None:
        self.redis = connection
        self.queue = Queue(
            QUEUE_NAME,
            connection=connection,
            serializer=JSONSerializer,
            default_timeout=JOB_TIMEOUT,
        )
        self._take_script: Any = None

    def enqueue(self, name: str, *, job_id: str, delay: float = 0, **kwargs: Any) -> None:
        func = f"jobs.tasks.{name}"
        timeout = kwargs.pop(TIMEOUT_KEY, None) or JOB_TIMEOUT
        opts = dict(kwargs=kwargs, job_id=job_id, result_ttl=0, failure_ttl=7 * 86400,
                    job_timeout=timeout, meta=meta_for(kwargs))  # fmt: skip
        if delay > 0:
            self.queue.enqueue_in(timedelta(seconds=delay), func, **opts)
        else:
            self.queue.enqueue(func, **opts)

    def enqueue_many(self, name: str, jobs: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """All the jobs in one Redis pipeline: one round trip, not two a job (FACTS §8)."""
        if not jobs:
            return
        func = f"jobs.tasks.{name}"
        datas = []
        for job_id, kwargs in jobs:
            kwargs = dict(kwargs)
            timeout = kwargs.pop(TIMEOUT_KEY, None) or JOB_TIMEOUT
            datas.append(
                Queue.prepare_data(
                    func,
                    kwargs=kwargs,
                    job_id=job_id,
                    timeout=timeout,
                    result_ttl=0,
                    failure_ttl=7 * 86400,
                    meta=meta_for(kwargs),
                )  # fmt: skip
            )
        self.queue.enqueue_many(datas)

    def take_events(self, limit: int, *, besides: int) -> list[int]:
        """Take up to `limit` waiting `process_event` jobs of fresh events (job id `event-{id}`)
        off the queue, oldest first, leaving the other workers their share (SHARE): their events, for the caller to run in
        its own job (`jobs.tasks.process_event`). Atomic (one script), so no worker also runs
        one; a job taken by a worker that then dies is lost from Redis, and the reconciler
        queues its event again from the database, as for any job lost. `besides`: the caller's
        own event (another copy of its job is left queued)."""
        if limit <= 0:
            return []
        prefix = Job.redis_job_namespace_prefix
        args = [limit, TAKE_SCAN, prefix, f"event-{besides}", TAKEN_TTL, SHARE]
        taken = self._take(keys=[self.queue.key], args=args)
        return [int(job_id.decode().removeprefix("event-")) for job_id in taken]

    @property
    def _take(self) -> Any:
        if self._take_script is None:
            self._take_script = self.redis.register_script(_TAKE)
        return self._take_script

    def enqueue_once(self, name: str, *, flag: str, **kwargs: Any) -> None:
        key = f"parallelos:queued:{flag}"
        if not self.redis.set(key, "1", nx=True, ex=FLAG_TTL):
            return
        try:
            self.enqueue(name, job_id=f"{name}-{flag}", flag=flag, **kwargs)
        except Exception:
            self.redis.delete(key)
            raise

    def clear_flag(self, flag: str) -> None:
        self.redis.delete(f"parallelos:queued:{flag}")

    def ping(self) -> bool:
        try:
            return bool(self.redis.ping())
        except redis.RedisError:
            return False

    def depth(self) -> dict[str, int]:
        """Jobs waiting (queued), waiting for their time (scheduled), running, failed."""
        q = self.queue
        return {"queued": q.count, "scheduled": q.scheduled_job_registry.count,
                "started": q.started_job_registry.count, "failed": q.failed_job_registry.count}  # fmt: skip


class InlineJobQueue:
    """Runs jobs on a few threads of this process (no Redis). The database keeps the truth."""

    in_process = True

    def __init__(self, workers: int = 4) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self.flags: set[str] = set()
        self.lock = threading.Lock()

    def enqueue(self, name: str, *, job_id: str, delay: float = 0, **kwargs: Any) -> None:
        if delay > 0:
            timer = threading.Timer(
                delay, self.enqueue, args=(name,), kwargs=dict(job_id=job_id, **kwargs)
            )
            timer.daemon = True
            timer.start()
            return
        self.pool.submit(self._run, name, kwargs, logs.correlation_for(kwargs))

    def enqueue_many(self, name: str, jobs: Sequence[tuple[str, dict[str, Any]]]) -> None:
        for job_id, kwargs in jobs:
            self.enqueue(name, job_id=job_id, **kwargs)

    def enqueue_once(self, name: str, *, flag: str, **kwargs: Any) -> None:
        with self.lock:
            if flag in self.flags:
                return
            self.flags.add(flag)
        self.enqueue(name, job_id=f"{name}-{flag}", flag=flag, **kwargs)

    def clear_flag(self, flag: str) -> None:
        with self.lock:
            self.flags.discard(flag)

    def ping(self) -> bool:
        return False  # no Redis behind this queue

    def depth(self) -> dict[str, int]:
        return {"queued": self.pool._work_queue.qsize()}

    def _run(self, name: str, kwargs: dict[str, Any], correlation: str | None = None) -> None:
        from jobs import tasks

        kwargs = {k: v for k, v in kwargs.items() if k != TIMEOUT_KEY}  # threads: no hard limit
        with observed(name, correlation or logs.correlation_for(kwargs)) as outcome:
            try:
                getattr(tasks, name)(**kwargs)
                outcome.ok = True
            except Exception:
                log.exception("in-process job %s failed", name)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=False)


class SyncJobQueue(InlineJobQueue):
    """Runs each job at once in the caller's thread (terminal chat, tests); delays use timers."""

    def __init__(self) -> None:
        super().__init__(workers=1)

    def enqueue(self, name: str, *, job_id: str, delay: float = 0, **kwargs: Any) -> None:
        if delay > 0:
            super().enqueue(name, job_id=job_id, delay=delay, **kwargs)
            return
        self._run(name, kwargs)


def connect_redis(url: str) -> redis.Redis | None:
    """A Redis connection when the server answers, else None."""
    try:
        conn = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30
        )
        conn.ping()
        return conn
    except (redis.RedisError, ValueError):
        return None
