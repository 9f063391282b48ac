"""Nothing lost, nothing twice: a worker killed mid-delivery, and Redis going away.

These run real processes: `parallelos worker` subprocesses killed with SIGKILL, and a private
`redis-server` stopped and started again, against the fake Slack Web API.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import update

from jobs.queue import RQJobQueue
from jobs.reconcile import reconcile
from orchestrator.db import Database, utcnow
from orchestrator.models import OutboxRow
from orchestrator.statuses import OutboxStatus
from tests.conftest import TEST_REDIS_URL
from tests.dialogue import Said, SlackDialogue
from tests.slack_support import (
    OPERATOR,
    SECRET,
    TOKEN,
    FakeSlackHooks,
    outbox_rows,
    running,
    slack_services,
    stored_events,
    wait_until,
)

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = [f"flights to lisbon for trip {n}?" for n in range(5)]


@pytest.fixture
def slack() -> Iterator[FakeSlackHooks]:
    with FakeSlackHooks() as fake:
        yield fake


def say_all(d: SlackDialogue, messages: list[str]) -> list[Said]:
    """The operator DMs the bot each message; every signed event is acknowledged."""
    sent = [d.say(text) for text in messages]
    assert [s.response.status_code for s in sent] == [200] * len(sent), sent
    return sent


def assert_each_answered_once(d: SlackDialogue, sent: list[Said]) -> None:
    """One threaded reply per DM, every message mirrored once with one answer, no repeats."""
    slack = d.slack
    for said in sent:
        replies = d.thread(said)
        assert len(replies) == 1, replies
    assert len(slack.messages("pos-travel")) == 2 * len(sent)
    keys = Counter(
        m["metadata"]["event_payload"]["key"]
        for channel in set(slack.channel_names()) | {said.channel for said in sent}
        for m in slack.messages(channel)
        if m.get("metadata")
    )
    assert keys and max(keys.values()) == 1, keys


# -- a worker killed with SIGKILL --------------------------------------------------------------
def worker_env(db: Database, slack: FakeSlackHooks) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PARALLELOS_"))}
    env.update(
        DATABASE_URL=db.url,
        REDIS_URL=TEST_REDIS_URL,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url,
        PARALLELOS_OPERATORS=f"slack:{OPERATOR}",
        PYTHONPATH=str(ROOT),
    )
    return env


def start_worker(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    """`parallelos worker` in its own process group (RQ forks a scheduler beside it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "parallelos.cli", "worker", *args],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_worker_killed_mid_delivery_loses_nothing_and_posts_nothing_twice(
    pg_db, redis_conn, slack
):
    """SIGKILL while Slack holds the answer to a post it has already stored: after a restart
    every message is answered exactly once — the post in doubt is found by its key."""
    env = worker_env(pg_db, slack)
    svc = slack_services(pg_db, slack, queue=RQJobQueue(redis_conn))
    slack.set_delay("chat.postMessage", 30.0)  # stored at once, answered late: the kill lands
    first = start_worker(env)
    try:
        with running(svc) as client:
            d = SlackDialogue(client, slack)
            sent = say_all(d, MESSAGES)
        slack.wait_for("chat.postMessage", count=1, timeout=60)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    slack.set_delay("chat.postMessage", 0)
    assert stored_events(pg_db) == len(MESSAGES)
    # at least the post Slack holds is in doubt; an event's channels are claimed together, so
    # its other heads may be claimed-but-unsent too: each is checked by its key on recovery
    assert sum(r.status == OutboxStatus.SENDING for r in outbox_rows(pg_db)) >= 1

    with pg_db.session() as s:  # the dead worker's lease runs out
        s.execute(update(OutboxRow).values(lease_until=utcnow() - timedelta(seconds=1)))
    reconcile(svc, grace=timedelta(0))  # what the periodic reconciler does after its grace
    second = start_worker(env, "--burst")
    _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()[-2000:]

    assert_each_answered_once(d, sent)
    assert all(r.status == OutboxStatus.SENT for r in outbox_rows(pg_db))


# -- Redis stopped and started while events arrive ---------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of our own, to stop and start without touching anyone else's."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self.answers, timeout=10, what="redis-server to start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.2).ping())
        except redis.RedisError:
            return False


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def test_redis_stopped_and_restarted_while_events_arrive_loses_nothing(db, slack, private_redis):
    """Events keep being acknowledged while Redis is down (they are in the database); Redis
    comes back empty, the reconciler queues what was lost, and each is answered once."""
    conn = redis.Redis(port=private_redis.port, socket_connect_timeout=1)
    queue = RQJobQueue(conn)
    svc = slack_services(db, slack, queue=queue)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        sent = say_all(d, MESSAGES[:2])
        private_redis.stop()
        sent += say_all(d, MESSAGES[2:])
        assert stored_events(db) == len(MESSAGES)
        private_redis.start()  # empty: the two jobs queued before the outage are gone too
    assert reconcile(svc, grace=timedelta(0)).events == len(MESSAGES)
    SimpleWorker([queue.queue], connection=conn, serializer=JSONSerializer).work(burst=True)
    assert_each_answered_once(d, sent)
