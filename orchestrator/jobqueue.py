"""Where the kernel hands background work: a named job with keyword arguments.

The implementations (RQ, threads of this process, the caller's thread) are in `jobs.queue`;
the kernel and the staff only see this protocol.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["JobQueue", "job_key"]


def job_key(text: str) -> str:
    """A job-id-safe digest (RQ ids allow letters, digits, '_' and '-')."""
    return hashlib.blake2s(text.encode(), digest_size=10).hexdigest()


class JobQueue(Protocol):
    in_process: bool  # True when jobs run in this process (no Redis)

    def enqueue(self, name: str, *, job_id: str, delay: float = 0, **kwargs: Any) -> None: ...

    def enqueue_many(self, name: str, jobs: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Enqueue `name` once per (job_id, kwargs), in one round trip where the queue can."""
        ...

    def enqueue_once(self, name: str, *, flag: str, **kwargs: Any) -> None:
        """Enqueue unless a job with this flag is queued and not yet started."""
        ...

    def clear_flag(self, flag: str) -> None: ...

    def ping(self) -> bool:
        """The queue's server answers (False for a queue without one)."""
        ...
