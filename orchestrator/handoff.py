"""Handing work to the queue: deliver a channel's posts, process a stored event.

These take the process's `Services` and only name jobs (`deliver`, `process_event`), so the
kernel and the staff can hand work on without knowing which queue runs it.
"""

from __future__ import annotations

from collections.abc import Sequence

from orchestrator.jobqueue import job_key
from orchestrator.services import Services

__all__ = ["deliver_channel", "deliver_channels", "enqueue_event", "schedule_delivery"]


def deliver_channel(svc: Services, channel_key: str) -> None:
    """Drain the channel now; if a post must wait (rate limit, backoff), schedule a retry."""
    deliver_channels(svc, [channel_key])


def deliver_channels(svc: Services, channel_keys: Sequence[str]) -> None:
    """`deliver_channel` for several channels (an event's posts), claimed together."""
    if not channel_keys:
        return
    for channel_key, wait in svc.deliverer.drain_all(channel_keys).items():
        if wait is None:
            continue
        if wait <= 0:
            schedule_delivery(svc, channel_key)
            continue
        svc.queue.enqueue(
            "deliver",
            job_id=f"deliver-{job_key(channel_key)}-{int(wait * 1000)}",
            delay=wait + 0.05,
            channel_key=channel_key,
        )


def schedule_delivery(svc: Services, channel_key: str) -> None:
    svc.queue.enqueue_once("deliver", flag=job_key(channel_key), channel_key=channel_key)


def enqueue_event(svc: Services, event_id: int) -> None:
    svc.queue.enqueue("process_event", job_id=f"event-{event_id}", event_id=event_id)
