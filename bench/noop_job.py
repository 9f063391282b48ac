"""No-op RQ jobs for the baselines of bench/pipeline.py and bench/sustained.py: what RQ alone
costs on this machine, measured in the same run (a SimpleWorker, JSON serializer, as
`parallelos worker` runs)."""

from __future__ import annotations

import time


def ping(key: str) -> None:
    """Push the time this ran (time.monotonic is machine-wide on Linux) for the sender."""
    from rq import get_current_job

    job = get_current_job()
    assert job is not None
    job.connection.rpush(key, repr(time.monotonic()))


def count(key: str) -> None:
    from rq import get_current_job

    job = get_current_job()
    assert job is not None
    job.connection.incr(key)
