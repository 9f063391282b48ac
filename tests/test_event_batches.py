"""Several events to a job (`process_events`): each is started, counted and committed on its own,
so one that raises fails alone and a worker killed inside a batch leaves the rest to the
reconciler; nothing is done twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select, text

from jobs import tasks
from jobs.queue import QUEUE_NAME, TAKEN_TTL, RQJobQueue, SyncJobQueue
from jobs.reconcile import MAX_EVENT_ATTEMPTS, reconcile
from orchestrator.canonical import EventKind, InboundEvent, Platform
from orchestrator.db import Database
from orchestrator.handoff import EVENTS_PER_JOB, enqueue_events, event_batches, events_job_id
from orchestrator.ingest import store_events
from orchestrator.models import InboundEventRow, LogEvent
from tests.dialogue import SlackDialogue
from tests.helpers import make_services
from tests.recording_sender import RecordingSender
from tests.slack_support import FakeSlackHooks, running, slack_services, wait_until
from tests.test_outage import backend_waits_for_a_lock, stop
from tests.test_resilience import (
    MESSAGES,
    assert_each_answered_once,
    say_all,
    start_worker,
    worker_env,
)

pytestmark = pytest.mark.timeout(300)


class HeldQueue(SyncJobQueue):
    """Records what is queued, runs nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.jobs: list[tuple[str, str, dict[str, Any]]] = []

    def enqueue(self, name: str, *, job_id: str, delay: float = 0, **kwargs: Any) -> None:
        self.jobs.append((name, job_id, kwargs))


class CountingWorker(SimpleWorker):
    """Keeps the ids of the jobs it ran."""

    ran: list[str]

    def perform_job(self, job: Any, queue: Any, execution: Any) -> bool:
        self.__dict__.setdefault("ran", []).append(job.id)
        return super().perform_job(job, queue, execution)


def dm(text: str, ident: str) -> InboundEvent:
    return InboundEvent(platform=Platform.SLACK, external_id=ident, kind=EventKind.MESSAGE,
                        user="U1", channel="D1", text=text, message_ref=f"100.{ident}",
                        is_direct=True)  # fmt: skip


def rows(db: Database) -> list[InboundEventRow]:
    with db.session() as s:
        return list(s.scalars(select(InboundEventRow).order_by(InboundEventRow.id)))


def state(db: Database) -> list[tuple[str, int]]:
    return [(r.status, r.attempts) for r in rows(db)]


@pytest.mark.parametrize(
    ("count", "sizes"),
    [
        (1, [1]),
        (2, [2]),
        (8, [8]),
        (9, [5, 4]),
        (10, [5, 5]),
        (17, [6, 6, 5]),
        (100, [8] * 9 + [7] * 4),
    ],
)
def test_a_burst_is_cut_into_the_fewest_jobs_of_at_most_eight_and_near_equal_size(count, sizes):
    ids = list(range(100, 100 + count))
    batches = event_batches(ids)
    assert [len(b) for b in batches] == sizes
    assert [i for b in batches for i in b] == ids  # every event once, in order
    assert max(sizes) <= EVENTS_PER_JOB
    assert event_batches([]) == []


def test_a_batch_names_its_job_by_its_events():
    assert events_job_id([3, 4, 5]) == events_job_id([3, 4, 5])
    assert events_job_id([3, 4, 5]) != events_job_id([3, 5, 6])  # same first, same length
    assert events_job_id([3, 4, 5]).startswith("events-3-")


def test_a_poisoned_event_in_a_batch_fails_alone_and_its_neighbours_are_done_once(db):
    """Four events in one job, the second one unreadable: the job fails naming it, the three
    others are answered once and done at their first attempt; run again (a redelivery), only
    the poison is started again. The reconciler then queues the poison by itself, with its
    usual job id, and after MAX_EVENT_ATTEMPTS starts it fails for good, with its reason."""
    sender = RecordingSender()
    make_services(db, senders={Platform.SLACK: sender}, PARALLELOS_OPERATORS="slack:U1")
    (good1,) = store_events(db, [dm("flights to lisbon?", "Ev1")])
    with db.session() as s:
        s.add(InboundEventRow(platform="slack", external_id="poison", kind="message",
                              payload={"not": "an event"}))  # fmt: skip
    good2, good3 = store_events(db, [dm("hotel in porto?", "Ev2"), dm("train to faro?", "Ev3")])
    assert good1 is not None and good2 is not None and good3 is not None
    poison = good1 + 1
    ids = [good1, poison, good2, good3]

    with pytest.raises(tasks.EventFailed, match=f"^event {poison}, attempt 1$"):
        tasks.process_events(event_ids=ids)
    assert state(db) == [("done", 1), ("received", 1), ("done", 1), ("done", 1)]
    assert rows(db)[1].error.startswith("ValidationError")
    answers = [p.dest.thread for p in sender.in_channel("D1")]
    assert sorted(answers) == ["100.Ev1", "100.Ev2", "100.Ev3"]  # one answer each
    posted = len(sender.sent)

    with pytest.raises(tasks.EventFailed, match=f"^event {poison}, attempt 2$"):
        tasks.process_events(event_ids=ids)
    assert state(db) == [("done", 1), ("received", 2), ("done", 1), ("done", 1)]
    assert len(sender.sent) == posted

    held = HeldQueue()
    held_svc = make_services(db, queue=held, senders={Platform.SLACK: sender},
                             PARALLELOS_OPERATORS="slack:U1")  # fmt: skip
    assert reconcile(held_svc, grace=timedelta(0)).events == 1
    assert held.jobs == [("process_event", f"retry-{poison}", {"event_id": poison, "alone": True})]

    for attempt in range(3, MAX_EVENT_ATTEMPTS + 1):
        with pytest.raises(tasks.EventFailed, match=f"attempt {attempt}"):
            tasks.process_event(event_id=poison, alone=True)
    tasks.process_event(event_id=poison, alone=True)  # out of attempts: not started again
    assert state(db)[1] == ("failed", MAX_EVENT_ATTEMPTS)
    assert reconcile(held_svc, grace=timedelta(0)).events == 0
    assert len(sender.sent) == posted
    with db.session() as s:
        failed = s.scalars(select(LogEvent.source_event_id).where(LogEvent.kind == "event.failed"))
        assert list(failed) == [poison]


def test_fresh_events_are_queued_by_the_reconciler_several_to_a_job(db):
    """Twenty events stored while the queue was away: three jobs (7, 7, 6), each event in one."""
    held = HeldQueue()
    svc = make_services(db, queue=held, PARALLELOS_OPERATORS="slack:U1")
    ids = store_events(db, [dm(f"flights to lisbon {n}?", f"Ev{n}") for n in range(20)])
    assert reconcile(svc, grace=timedelta(0)).events == 20
    assert [(name, len(kw["event_ids"])) for name, _, kw in held.jobs] == [
        ("process_events", 7),
        ("process_events", 7),
        ("process_events", 6),
    ]
    assert [i for _, _, kw in held.jobs for i in kw["event_ids"]] == ids
    assert [job_id for _, job_id, _ in held.jobs] == [
        events_job_id(kw["event_ids"]) for _, _, kw in held.jobs
    ]


# -- a worker takes waiting events into its job ---------------------------------------------
def test_a_worker_takes_the_waiting_jobs_of_fresh_events_into_its_own(db, redis_conn):
    """Five DMs queued one job each (as the edge does for lone arrivals): the worker's first job
    takes half of the four others with it (the other half is left to other workers), so five
    events take three jobs; every DM is answered once. A retry (`retry-{id}`), another job and
    the taker's own id are never taken."""
    sender = RecordingSender()
    queue = RQJobQueue(redis_conn)
    svc = make_services(db, queue=queue, senders={Platform.SLACK: sender},
                        PARALLELOS_OPERATORS="slack:U1")  # fmt: skip
    ids = store_events(db, [dm(f"flights to lisbon {n}?", f"Ev{n}") for n in range(5)])
    for event_id in ids:
        enqueue_events(svc, [event_id])
    rq = Queue(QUEUE_NAME, connection=redis_conn, serializer=JSONSerializer)
    assert len(rq) == 5
    worker = CountingWorker([rq], connection=redis_conn, serializer=JSONSerializer)
    worker.work(burst=True)
    assert len(rq) == 0
    assert worker.ran == [f"event-{ids[0]}", f"event-{ids[3]}", f"event-{ids[4]}"]  # took 2
    assert state(db) == [("done", 1)] * 5
    assert sorted(p.dest.thread for p in sender.in_channel("D1")) == [
        f"100.Ev{n}" for n in range(5)
    ]

    queue.enqueue("deliver", job_id="deliver-x", channel_key="x")
    enqueue_events(svc, [], alone=[90])
    enqueue_events(svc, [91])
    enqueue_events(svc, [92])
    enqueue_events(svc, [93])
    assert queue.take_events(1, besides=91) == [92]  # 92 and 93 found, one taken
    assert rq.job_ids == ["deliver-x", "retry-90", "event-91", "event-93"]
    assert 0 < redis_conn.ttl("rq:job:event-92") <= TAKEN_TTL  # kept a while, then gone
    assert queue.take_events(7, besides=0) == [91]  # half of two
    assert queue.take_events(7, besides=0) == []  # half of one: left to another worker
    assert rq.job_ids == ["deliver-x", "retry-90", "event-93"]


# -- a worker killed inside a batch ----------------------------------------------------------
@pytest.fixture
def slack() -> Iterator[FakeSlackHooks]:
    with FakeSlackHooks() as fake:
        yield fake


def test_a_worker_killed_inside_a_batch_leaves_the_rest_to_the_reconciler_and_doubles_nothing(
    pg_db, redis_conn, slack
):
    """Five DMs reach one `process_events` job (their own jobs lost, the reconciler queues them
    together); the worker is killed with SIGKILL inside the first event. That event has used an
    attempt, the four behind it none. The reconciler queues the started one alone and the other
    four together; a new worker answers every DM exactly once."""
    env = worker_env(pg_db, slack)
    queue = RQJobQueue(redis_conn)
    svc = slack_services(pg_db, slack, queue=queue)
    rq = Queue(QUEUE_NAME, connection=redis_conn, serializer=JSONSerializer)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        sent = say_all(d, MESSAGES)
    rq.empty()  # lost, as in a Redis outage: only the database knows the events
    reconcile(svc, grace=timedelta(0))
    ids = [r.id for r in rows(pg_db)]
    assert len(ids) == len(MESSAGES)
    (job,) = [rq.fetch_job(i) for i in rq.job_ids]
    assert (job.func_name, job.kwargs) == ("jobs.tasks.process_events", {"event_ids": ids})

    with pg_db.engine.connect() as lock:  # the first event's posts wait: the worker is inside
        lock.execute(text("LOCK TABLE outbox IN EXCLUSIVE MODE"))
        worker = start_worker(env)
        try:
            wait_until(lambda: backend_waits_for_a_lock(pg_db), timeout=60,
                       what="the worker inside the batch's first event")  # fmt: skip
        finally:
            stop(worker)
        lock.rollback()
    wait_until(lambda: not backend_waits_for_a_lock(pg_db), timeout=30, what="unblock")
    assert state(pg_db) == [("received", 1)] + [("received", 0)] * (len(ids) - 1)
    assert not any(d.thread(said) for said in sent)

    rq.empty()
    reconcile(svc, grace=timedelta(0))
    queued = [rq.fetch_job(i) for i in rq.job_ids]
    assert [(j.func_name, j.kwargs) for j in queued] == [
        ("jobs.tasks.process_event", {"event_id": ids[0], "alone": True}),
        ("jobs.tasks.process_events", {"event_ids": ids[1:]}),
    ]
    burst = start_worker(env, "--burst")
    _, err = burst.communicate(timeout=120)
    assert burst.returncode == 0, err.decode()[-2000:]
    assert_each_answered_once(d, sent)
    assert state(pg_db) == [("done", 2)] + [("done", 1)] * (len(ids) - 1)
