"""Long outages lose nothing: an attempt counts when a worker starts an event, not when the
reconciler queues it again; a poison event fails once, with its reason, and can be re-run.

An outage is measured here in reconciler passes, not seconds: the scheduler's reconciler runs
one pass every 15 s (`jobs.scheduler.RECONCILE_EVERY`) on events older than its 20 s grace, so
the issue's 120 s outage was 8 passes. Each outage below lasts OUTAGE_PASSES passes (ten times
MAX_EVENT_ATTEMPTS, i.e. over 12 minutes of real time), run back to back with no grace.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select, text, update

from jobs.queue import RQJobQueue
from jobs.reconcile import MAX_EVENT_ATTEMPTS, reconcile, rerun_failed
from jobs.worker import RECONNECT_WAIT
from orchestrator.dashboard import dashboard
from orchestrator.db import Database, utcnow
from orchestrator.models import EventStatus, InboundEventRow, LogEvent, OutboxRow
from parallelos.cli import main
from tests.dialogue import Said, SlackDialogue
from tests.slack_support import (
    FakeSlackHooks,
    outbox_rows,
    running,
    slack_services,
    stored_events,
    wait_until,
)
from tests.test_resilience import (
    MESSAGES,
    PrivateRedis,
    assert_each_answered_once,
    start_worker,
    worker_env,
)

# Worker and Redis processes start and stop many times here: slow on a loaded machine.
pytestmark = pytest.mark.timeout(600)

OUTAGE_PASSES = 10 * MAX_EVENT_ATTEMPTS


@pytest.fixture
def slack() -> Iterator[FakeSlackHooks]:
    with FakeSlackHooks() as fake:
        yield fake


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server of the test's own, on a free port, to stop and start."""
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def events(db: Database) -> list[InboundEventRow]:
    with db.session() as s:
        return list(s.scalars(select(InboundEventRow).order_by(InboundEventRow.id)))


def reconciler_passes(svc, n: int = OUTAGE_PASSES) -> None:  # type: ignore[no-untyped-def]
    """What the scheduler does every 15 s; a pass that cannot reach Redis is logged and skipped."""
    for _ in range(n):
        with contextlib.suppress(redis.RedisError):
            reconcile(svc, grace=timedelta(0))


def answered(d: SlackDialogue, sent: list[Said]) -> bool:
    return all(d.thread(said) for said in sent)


def delivered(db: Database, d: SlackDialogue, sent: list[Said]) -> bool:
    """Every DM answered and every post out (the mirror in the domain's channel too)."""
    return answered(d, sent) and all(r.status == "sent" for r in outbox_rows(db))


def stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


# -- the worker killed and away for a long time ------------------------------------------------
def test_a_worker_killed_and_away_for_many_reconciler_passes_loses_nothing(db, redis_conn, slack):
    """kill -9 mid-delivery; the reconciler queues the waiting events again for 50 passes; the
    restarted worker answers every message once: waiting for a worker costs no attempt."""
    env = worker_env(db, slack)
    svc = slack_services(db, slack, queue=RQJobQueue(redis_conn))
    slack.set_delay("chat.postMessage", 30.0)  # the worker is busy with the first when killed
    first = start_worker(env)
    try:
        with running(svc) as client:
            d = SlackDialogue(client, slack)
            sent = [d.say(text) for text in MESSAGES]
        slack.wait_for("chat.postMessage", count=1, timeout=60)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    slack.set_delay("chat.postMessage", 0)
    assert stored_events(db) == len(MESSAGES)

    reconciler_passes(svc)  # the outage: no worker at all
    with db.session() as s:  # the dead worker's lease on its post in doubt runs out
        s.execute(update(OutboxRow).values(lease_until=utcnow() - timedelta(seconds=1)))
    reconcile(svc, grace=timedelta(0))
    second = start_worker(env, "--burst")
    _, err = second.communicate(timeout=180)
    assert second.returncode == 0, err.decode()[-2000:]

    assert_each_answered_once(d, sent)
    assert [(e.status, e.attempts) for e in events(db)] == [("done", 1)] * len(MESSAGES)


# -- Redis away for a long time ----------------------------------------------------------------
def test_redis_away_for_many_reconciler_passes_loses_nothing_and_the_worker_resumes(
    db, slack, private_redis, tmp_path
):
    """Redis stops while DMs arrive; 50 reconciler passes fail to queue anything; Redis comes
    back empty; the same worker process, never restarted, answers every DM once. While Redis
    is away it tries again every RECONNECT_WAIT seconds at most, not RQ's growing 1…60 s."""
    # the test's own client gives up at once (redis-py would retry each call with a backoff)
    conn = redis.Redis(
        port=private_redis.port, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
    )
    env = worker_env(db, slack) | {"REDIS_URL": f"redis://127.0.0.1:{private_redis.port}/0"}
    svc = slack_services(db, slack, queue=RQJobQueue(conn))
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "parallelos.cli", "worker"],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
    waits = re.compile(r"retrying in (\d+) seconds|reconnecting in ([\d.]+) s")

    def retries() -> list[float]:
        return [float(a or b) for a, b in waits.findall(log.read_text(errors="replace"))]

    try:
        with running(svc) as client:
            d = SlackDialogue(client, slack)
            sent = [d.say(text) for text in MESSAGES[:2]]
            wait_until(lambda: answered(d, sent), timeout=60, what="the first answers")
            private_redis.stop()
            sent += [d.say(text) for text in MESSAGES[2:]]
            reconciler_passes(svc)  # the outage
            wait_until(lambda: len(retries()) >= 5, timeout=60, what="the worker to retry")
            assert max(retries()) <= RECONNECT_WAIT, retries()
            private_redis.start()  # empty: whatever was queued is gone
            reconcile(svc, grace=timedelta(0))
            wait_until(lambda: delivered(db, d, sent), timeout=90, what="every post sent")
        assert worker.poll() is None, log.read_text()[-2000:]
    finally:
        stop(worker)
    assert_each_answered_once(d, sent)
    assert {e.status for e in events(db)} == {"done"}


# -- a poison event --------------------------------------------------------------------------------
def backend_waits_for_a_lock(db: Database) -> bool:
    with db.session() as s:
        query = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return bool(s.scalar(text(query)))


def test_a_poison_event_that_kills_the_worker_fails_once_and_can_be_run_again(
    pg_db, redis_conn, slack, capsys, monkeypatch
):
    """An event during which the worker dies, again and again (kill -9 while it is inside the
    event), is failed at the next start after MAX_EVENT_ATTEMPTS, with a reason, in the event
    log; the worker goes on with the next events; doctor counts it; `reconcile --failed` runs
    it again and it is answered once."""
    env = worker_env(pg_db, slack)
    svc = slack_services(pg_db, slack, queue=RQJobQueue(redis_conn))
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        for n in range(MAX_EVENT_ATTEMPTS):  # the event holds the worker until it is killed
            with pg_db.engine.connect() as lock:
                lock.execute(text("LOCK TABLE outbox IN EXCLUSIVE MODE"))
                if not events(pg_db):
                    poison = [d.say("flights to lisbon, the poison one")]
                else:
                    reconcile(svc, grace=timedelta(0))
                worker = start_worker(env)
                try:
                    wait_until(lambda: backend_waits_for_a_lock(pg_db), timeout=60,
                               what=f"the worker inside the event, start {n + 1}")  # fmt: skip
                finally:
                    stop(worker)
                lock.rollback()  # the dead worker's connection ends, its transaction with it
            wait_until(lambda: not backend_waits_for_a_lock(pg_db), timeout=30, what="unblock")
        (row,) = events(pg_db)
        assert (row.status, row.attempts) == ("received", MAX_EVENT_ATTEMPTS)

        innocent = [d.say(text) for text in MESSAGES[:2]]
        reconcile(svc, grace=timedelta(0))
        burst = start_worker(env, "--burst")
        _, err = burst.communicate(timeout=120)
        assert burst.returncode == 0, err.decode()[-2000:]
        assert answered(d, innocent) and not answered(d, poison)
        (failed,) = [e for e in events(pg_db) if e.status == EventStatus.FAILED]
        assert "never finished" in failed.error
        with pg_db.session() as s:
            (log,) = s.scalars(select(LogEvent).where(LogEvent.kind == "event.failed")).all()
            assert log.subject == f"event:{failed.id}" and log.data["reason"] == failed.error
            (shown,) = dashboard(s, svc.features)["failed events"]
            assert shown["event"] == failed.id and shown["reason"] == failed.error

        monkeypatch.setenv("DATABASE_URL", pg_db.url)
        monkeypatch.setenv("REDIS_URL", env["REDIS_URL"])
        assert main(["doctor"]) == 0
        assert "Failed events: 1 (re-run them with `parallelos reconcile --failed`)" in (
            capsys.readouterr().out
        )

        assert rerun_failed(svc) == 1
        again = start_worker(env, "--burst")
        _, err = again.communicate(timeout=120)
        assert again.returncode == 0, err.decode()[-2000:]
    assert_each_answered_once(d, poison + innocent)
    assert {e.status for e in events(pg_db)} == {"done"}
    assert main(["doctor"]) == 0
    assert "Failed events: 0" in capsys.readouterr().out


def test_an_event_that_raises_fails_its_job_and_after_max_starts_fails_with_its_error(
    db, redis_conn, slack
):
    """A stored event that raises each time it runs (here: a payload no handler can read) fails
    only its job; after MAX_EVENT_ATTEMPTS starts it is failed for good with the error itself,
    however many more passes the reconciler makes; the event behind it is answered."""
    queue = RQJobQueue(redis_conn)
    svc = slack_services(db, slack, queue=queue)
    with db.session() as s:
        s.add(InboundEventRow(platform="slack", external_id="poison", kind="message",
                              payload={"not": "an event"}))  # fmt: skip
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        sent = [d.say(MESSAGES[0])]
    worker = SimpleWorker([queue.queue], connection=redis_conn, serializer=JSONSerializer)
    for _ in range(OUTAGE_PASSES):
        reconcile(svc, grace=timedelta(0))
        worker.work(burst=True)
    assert answered(d, sent)
    poison, good = events(db)
    assert (good.status, good.attempts) == ("done", 1)
    assert (poison.status, poison.attempts) == ("failed", MAX_EVENT_ATTEMPTS)
    assert poison.error.startswith(f"failed {MAX_EVENT_ATTEMPTS} times; last error: Validation")
    with db.session() as s:
        kinds = s.scalars(select(LogEvent.kind).where(LogEvent.source_event_id == poison.id))
        assert list(kinds) == ["event.failed"]


# -- a job that exhausts memory --------------------------------------------------------------------
def test_a_job_that_exhausts_the_memory_never_ends_the_worker_quietly(db, redis_conn, slack):
    """A job runs the worker out of memory (RQ's own failure handling then fails too): the
    worker goes on, or exits with a non-zero status that a supervisor restarts, never 0; the
    DM queued behind the job is answered once, by this worker or the restarted one."""
    env = worker_env(db, slack)
    queue = RQJobQueue(redis_conn)
    svc = slack_services(db, slack, queue=queue)
    queue.queue.enqueue("tests.memory_hog.exhaust_memory", job_id="hog", result_ttl=0)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        sent = [d.say(MESSAGES[0])]
    worker = start_worker(env)
    try:
        wait_until(lambda: worker.poll() is not None or delivered(db, d, sent), timeout=90)
        status = worker.poll()  # None: it went on and answered
    finally:
        stop(worker)
    assert status != 0, worker.communicate()[1].decode()[-2000:]
    restarted = start_worker(env, "--burst")
    _, err = restarted.communicate(timeout=120)
    assert restarted.returncode == 0, err.decode()[-2000:]
    assert_each_answered_once(d, sent)
