"""Every job, whichever queue runs it, is timed and logged under its correlation id.

The RQ worker (`ObservedWorker`) reads the id from the job's meta, where `jobs.queue` put it
when the job was queued; the in-process queues carry it on the call. A job that names an
event (`event_id=`) is correlated to that event either way (`orchestrator.logs`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rq import SimpleWorker
from rq.executions import Execution
from rq.job import Job
from rq.queue import Queue

from orchestrator import logs, metrics

__all__ = ["CORRELATION", "ObservedWorker", "meta_for", "observed"]

CORRELATION = "correlation_id"  # the key in an RQ job's meta
PREFIX = "jobs.tasks."


@dataclass
class Outcome:
    ok: bool = False


def meta_for(kwargs: Mapping[str, Any]) -> dict[str, str]:
    """What a queued job carries besides its arguments: the correlation id, when there is one."""
    correlation = logs.correlation_for(kwargs)
    return {CORRELATION: correlation} if correlation else {}


@contextmanager
def observed(name: str, correlation: str | None) -> Iterator[Outcome]:
    """Time the block as job `name`; the block sets `ok` when the job succeeded."""
    outcome = Outcome()
    started = time.perf_counter()
    try:
        with logs.correlation(correlation):
            yield outcome
    finally:
        seconds = time.perf_counter() - started
        label = "ok" if outcome.ok else "failed"
        metrics.JOB_SECONDS.labels(name.removeprefix(PREFIX), label).observe(seconds)


class ObservedWorker(SimpleWorker):
    """RQ's SimpleWorker, each job timed and logged under its correlation id."""

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        correlation = job.meta.get(CORRELATION) or logs.correlation_for(job.kwargs or {})
        with observed(job.func_name or "?", correlation) as outcome:
            outcome.ok = super().perform_job(job, queue, execution)
        return outcome.ok
