"""The edge's group commit: concurrent requests share one transaction and one queue round trip,
and each still learns its own outcome only after its event is stored."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import bot.intake
from bot.intake import Intake, enqueue_events
from jobs.queue import QUEUE_NAME, RQJobQueue, SyncJobQueue
from orchestrator import handoff
from orchestrator.canonical import EventKind, InboundEvent, Platform
from orchestrator.ingest import Unstorable, fit, store_events
from orchestrator.models import InboundEventRow
from tests.helpers import make_services


class RecordingQueue(SyncJobQueue):
    """Records what is queued instead of running it."""

    def __init__(self, *, down: bool = False) -> None:
        super().__init__()
        self.down = down
        self.jobs: list[tuple[str, str, dict[str, Any]]] = []
        self.batches: list[int] = []

    def enqueue(self, name: str, *, job_id: str, delay: float = 0, **kwargs: Any) -> None:
        if self.down:
            raise ConnectionError("redis is down")
        self.jobs.append((name, job_id, kwargs))

    def enqueue_many(self, name: str, jobs: Any) -> None:
        self.batches.append(len(jobs))
        super().enqueue_many(name, jobs)


def dm(ident: str, user: str = "U1") -> InboundEvent:
    return InboundEvent(
        platform=Platform.SLACK,
        external_id=ident,
        kind=EventKind.MESSAGE,
        user=user,
        channel="D1",
        text="flights to lisbon?",
        message_ref="100.1",
        is_direct=True,
    )


def queued_events(queue: RecordingQueue) -> list[int]:
    """The event ids queued, whether one to a job or several."""
    return [i for _, _, kw in queue.jobs for i in kw.get("event_ids", [kw.get("event_id")])]


def stored(db) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(InboundEventRow)) or 0


class HeldStore:
    """Wraps store_events: records batch sizes and holds the first call until released, so a
    test can line requests up behind a batch being written."""

    def __init__(self, fail: bool = False) -> None:
        self.sizes: list[int] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail = fail

    def __call__(self, db, events):  # type: ignore[no-untyped-def]
        self.sizes.append(len(events))
        if len(self.sizes) == 1:
            self.entered.set()
            assert self.release.wait(10), "the test never released the first batch"
        if self.fail:
            raise OperationalError("INSERT", {}, ConnectionError("database is down"))
        return store_events(db, events)


async def line_up(intake: Intake, held: HeldStore, events: list[InboundEvent]) -> list[Any]:
    """First event alone (held in its transaction), the rest queued behind it, then release."""
    first = asyncio.create_task(intake.accept_async(events[0]))
    await asyncio.to_thread(held.entered.wait, 10)
    rest = [asyncio.create_task(intake.accept_async(e)) for e in events[1:]]
    await asyncio.sleep(0)  # each waiting request has put its event on the list
    held.release.set()
    return await asyncio.gather(first, *rest, return_exceptions=True)


def test_requests_arriving_during_a_write_share_the_next_transaction(db, monkeypatch):
    queue = RecordingQueue()
    svc = make_services(db, queue=queue, PARALLELOS_OPERATORS="slack:U1")
    held = HeldStore()
    monkeypatch.setattr(bot.intake, "store_events", held)
    events = [dm(f"Ev{n}") for n in range(10)]

    ids = asyncio.run(line_up(Intake(svc), held, events))

    assert held.sizes == [1, 9]
    assert queue.batches == [1, 2]  # the lone event one job; the nine in two (5 and 4)
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 10
    assert queue.jobs[0] == ("process_event", f"event-{ids[0]}", {"event_id": ids[0]})
    assert [(name, kwargs) for name, _, kwargs in queue.jobs[1:]] == [
        ("process_events", {"event_ids": ids[1:6]}),
        ("process_events", {"event_ids": ids[6:]}),
    ]
    assert stored(db) == 10


def test_a_batch_the_database_refuses_is_stored_one_event_at_a_time(pg_db, monkeypatch):
    """PostgreSQL refuses one row of a batch (a NUL in its id, which the length checks let
    through): the batch is written again event by event; only that request fails, as
    Unstorable (400 at the edge), and its neighbours are stored and queued."""
    queue = RecordingQueue()
    svc = make_services(pg_db, queue=queue, PARALLELOS_OPERATORS="slack:U1")
    held = HeldStore()
    monkeypatch.setattr(bot.intake, "store_events", held)
    events = [dm(f"Ev{n}") for n in range(6)]
    events[3] = dm("Ev\x003")

    outcomes = asyncio.run(line_up(Intake(svc), held, events))

    assert held.sizes == [1, 5, 1, 1, 1, 1, 1]
    assert isinstance(outcomes[3], Unstorable) and "\x00" not in str(outcomes[3])
    assert all(isinstance(o, int) for n, o in enumerate(outcomes) if n != 3)
    assert stored(pg_db) == 5 and len(queue.jobs) == 5


def test_identifiers_longer_than_their_columns_are_refused_before_the_batch(db):
    """The limits come from the columns: an event id over inbound_events.external_id, a user
    id that makes the log's actor too long; neither is stored. A long display name is cut."""
    svc = make_services(db, queue=RecordingQueue(), PARALLELOS_USERS="slack:U1")
    size = InboundEventRow.external_id.type.length
    with pytest.raises(Unstorable, match=f"event id too long: {size + 1} characters"):
        asyncio.run(Intake(svc).accept_async(dm("E" * (size + 1))))
    click = dm("Ev1", user="U" * 200).model_copy(update={"kind": EventKind.ACTION})
    with pytest.raises(Unstorable, match="user id too long"):
        asyncio.run(Intake(svc).accept_async(click))
    named = dm("Ev2").model_copy(update={"user_name": "N" * 129})  # 64 + space + 64 (Telegram)
    assert fit(named).user_name == "N" * 128
    assert stored(db) == 0


def test_a_lone_request_is_a_batch_of_one_and_gets_its_id(db):
    queue = RecordingQueue()
    svc = make_services(db, queue=queue, PARALLELOS_OPERATORS="slack:U1")
    event_id = asyncio.run(Intake(svc).accept_async(dm("Ev1")))
    assert queue.jobs == [("process_event", f"event-{event_id}", {"event_id": event_id})]


def test_the_same_delivery_twice_in_one_batch_is_stored_and_queued_once(db, monkeypatch):
    queue = RecordingQueue()
    svc = make_services(db, queue=queue, PARALLELOS_OPERATORS="slack:U1")
    held = HeldStore()
    monkeypatch.setattr(bot.intake, "store_events", held)
    events = [dm("Ev0"), dm("Ev1"), dm("Ev1"), dm("Ev0")]

    ids = asyncio.run(line_up(Intake(svc), held, events))

    assert held.sizes == [1, 3]
    assert ids[0] is not None and ids[1] is not None and ids[2:] == [None, None]
    assert len(queue.jobs) == 2 and stored(db) == 2


def test_a_failed_transaction_fails_every_request_in_it_and_the_next_batch_is_written(
    db, monkeypatch
):
    queue = RecordingQueue()
    svc = make_services(db, queue=queue, PARALLELOS_OPERATORS="slack:U1")
    held = HeldStore(fail=True)
    monkeypatch.setattr(bot.intake, "store_events", held)
    intake = Intake(svc)

    async def scenario() -> tuple[list[Any], Any]:
        outcomes = await line_up(intake, held, [dm(f"Ev{n}") for n in range(4)])
        held.fail = False  # the database is back
        return outcomes, await intake.accept_async(dm("Ev9"))

    outcomes, later = asyncio.run(scenario())
    assert held.sizes == [1, 3, 1]
    assert all(isinstance(o, OperationalError) for o in outcomes)
    assert isinstance(later, int) and stored(db) == 1 and len(queue.jobs) == 1


def test_with_the_queue_down_events_are_stored_and_left_to_the_reconciler(db, caplog):
    svc = make_services(db, queue=RecordingQueue(down=True), PARALLELOS_OPERATORS="slack:U1")
    event_id = asyncio.run(Intake(svc).accept_async(dm("Ev1")))
    assert isinstance(event_id, int) and stored(db) == 1
    assert "wait for the reconciler" in caplog.text


def test_strangers_are_not_stored(db):
    queue = RecordingQueue()
    svc = make_services(db, queue=queue, PARALLELOS_OPERATORS="slack:U1")
    assert asyncio.run(Intake(svc).accept_async(dm("Ev1", user="U0STRANGE"))) is None
    assert stored(db) == 0 and queue.jobs == []


def test_a_cancelled_request_does_not_lose_its_event_or_disturb_the_batch(db, monkeypatch):
    queue = RecordingQueue()
    svc = make_services(db, queue=queue, PARALLELOS_OPERATORS="slack:U1")
    held = HeldStore()
    monkeypatch.setattr(bot.intake, "store_events", held)
    intake = Intake(svc)

    async def scenario() -> list[Any]:
        first = asyncio.create_task(intake.accept_async(dm("Ev0")))
        await asyncio.to_thread(held.entered.wait, 10)
        gone = asyncio.create_task(intake.accept_async(dm("Ev1")))
        kept = asyncio.create_task(intake.accept_async(dm("Ev2")))
        await asyncio.sleep(0)
        gone.cancel()  # the platform hung up while the batch was being written
        held.release.set()
        return await asyncio.gather(first, gone, kept, return_exceptions=True)

    first, gone, kept = asyncio.run(scenario())
    assert isinstance(first, int) and isinstance(kept, int)
    assert isinstance(gone, asyncio.CancelledError)
    assert stored(db) == 3 and len(queued_events(queue)) == 3  # the cancelled one's too


def test_enqueue_events_uses_the_job_ids_of_enqueue_event(db):
    """The batch path and the one-at-a-time path name a job alike, so they dedupe alike."""
    one, many = RecordingQueue(), RecordingQueue()
    svc_one = make_services(db, queue=one)
    handoff.enqueue_event(svc_one, 7)
    svc_many = make_services(db, queue=many)
    enqueue_events(svc_many, [7])
    assert one.jobs == many.jobs == [("process_event", "event-7", {"event_id": 7})]


def test_rq_enqueue_many_queues_json_jobs_like_enqueue(redis_conn):
    queue = RQJobQueue(redis_conn)
    queue.enqueue("process_event", job_id="event-1", event_id=1)
    queue.enqueue_many(
        "process_event", [("event-2", {"event_id": 2}), ("event-3", {"event_id": 3})]
    )
    rq = Queue(QUEUE_NAME, connection=redis_conn, serializer=JSONSerializer)
    assert rq.job_ids == ["event-1", "event-2", "event-3"]
    jobs = [rq.fetch_job(i) for i in rq.job_ids]
    assert [j.func_name for j in jobs] == ["jobs.tasks.process_event"] * 3
    assert [j.kwargs for j in jobs] == [{"event_id": 1}, {"event_id": 2}, {"event_id": 3}]
    assert {j.timeout for j in jobs} == {jobs[0].timeout}
    assert {j.result_ttl for j in jobs} == {0} and {j.failure_ttl for j in jobs} == {7 * 86400}


@pytest.mark.parametrize("size", [0, 1])
def test_rq_enqueue_many_of_nothing_or_one(redis_conn, size):
    queue = RQJobQueue(redis_conn)
    queue.enqueue_many("process_event", [(f"event-{n}", {"event_id": n}) for n in range(size)])
    assert len(Queue(QUEUE_NAME, connection=redis_conn, serializer=JSONSerializer)) == size
