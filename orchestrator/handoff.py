"""Handing work to the queue: deliver a channel's posts, process a stored event.

These take the process's `Services` and only name jobs (`deliver`, `process_event`,
`process_events`), so the kernel and the staff can hand work on without knowing which queue
runs it.

Events are queued several to a job under load (`enqueue_events`): the queue's own work per job
(RQ builds a job, writes its hash and registries, a worker fetches and finishes it) is paid once
for up to EVENTS_PER_JOB events. A lone event is still one `process_event` job, `event-{id}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from orchestrator.jobqueue import job_key
from orchestrator.services import Services

__all__ = [
    "EVENTS_PER_JOB",
    "deliver_channel",
    "deliver_channels",
    "enqueue_event",
    "enqueue_events",
    "event_batches",
    "schedule_delivery",
]

EVENTS_PER_JOB = 8  # events one `process_events` job takes at most (a burst still spreads)


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


def event_batches(event_ids: Sequence[int], size: int = EVENTS_PER_JOB) -> list[list[int]]:
    """`event_ids` in order, cut into ceil(n / size) runs of nearly equal length (10 ids, size 8:
    5 and 5, so two workers share them); none longer than `size`."""
    if not event_ids:
        return []
    jobs = -(-len(event_ids) // size)
    each, longer = divmod(len(event_ids), jobs)
    batches, start = [], 0
    for n in range(jobs):
        end = start + each + (n < longer)
        batches.append(list(event_ids[start:end]))
        start = end
    return batches


def events_job_id(event_ids: Sequence[int]) -> str:
    """A batch's job id: the same ids in the same order give the same id (queued twice, it is
    one job), different ids a different one."""
    return f"events-{event_ids[0]}-{job_key(','.join(map(str, event_ids)))}"


def enqueue_events(svc: Services, event_ids: Sequence[int], *, alone: Iterable[int] = ()) -> None:
    """Queue the events, several to a job (`event_batches`), in one round trip per job name
    where the queue can. A batch of one is a `process_event` job named as `enqueue_event` names
    it (a worker may take it into its own job: `RQJobQueue.take_events`). Every id in `alone`
    (an event a worker already started and did not finish) is retried by itself, so it can hold
    up no neighbour: `process_event(alone=True)`, job id `retry-{id}`, which no worker takes."""
    single: list[int] = []
    multi: list[tuple[str, dict[str, Any]]] = []
    for batch in event_batches(event_ids):
        if len(batch) == 1:
            single.append(batch[0])
        else:
            multi.append((events_job_id(batch), {"event_ids": batch}))
    jobs = [(f"event-{i}", {"event_id": i}) for i in single]
    jobs += [(f"retry-{i}", {"event_id": i, "alone": True}) for i in alone]
    if jobs:
        svc.queue.enqueue_many("process_event", jobs)
    if multi:
        svc.queue.enqueue_many("process_events", multi)
