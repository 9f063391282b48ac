"""Faults under load, as tests: each asserts nothing lost and nothing posted twice.

Real processes throughout: `parallelos worker` and `parallelos scheduler` subprocesses on real
Redis, the web app in this process, the Slack and Telegram stand-ins answering storms of 5xx
and 429s, and a private PostgreSQL cluster stopped and started while messages arrive.

Each test prints one `fault:` line (messages, posts, the worst time from an event's arrival to
its last post); docs/reliability.md quotes them (`pytest -s -m faults tests/test_faults.py`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from jobs.queue import RQJobQueue
from jobs.reconcile import reconcile
from orchestrator.db import Database
from orchestrator.migrate import upgrade
from orchestrator.models import InboundEventRow, OutboxRow
from orchestrator.statuses import EventStatus, OutboxStatus
from tests.conftest import TEST_REDIS_URL
from tests.dialogue import Said, SlackDialogue, TelegramDialogue
from tests.fakes.http import Reply
from tests.fakes.telegram_api import FakeTelegram
from tests.slack_support import FakeSlackHooks, running, slack_services, stored_events, wait_until
from tests.telegram_support import OPERATOR as TG_OPERATOR
from tests.telegram_support import TOKEN as TG_TOKEN
from tests.telegram_support import fake_telegram, telegram_services
from tests.telegram_support import running as telegram_running
from tests.test_resilience import (
    ROOT,
    assert_each_answered_once,
    free_port,
    say_all,
    start_worker,
    worker_env,
)

pytestmark = [pytest.mark.slow, pytest.mark.faults]

LOAD = 20  # DMs per test: each is answered in its thread and mirrored with its answer
SETTLE = 180.0  # seconds a loaded run may take to drain on a busy 2-core machine
RATE_LIMITED = 3  # sendMessage calls answered 429 retry_after 2 in the Telegram test


def dms(n: int, start: int = 0) -> list[str]:
    return [f"flights to lisbon for trip {i}?" for i in range(start, start + n)]


@dataclass(frozen=True)
class Figures:
    events: int
    posts: int
    attempts: int
    worst_seconds: float


def figures(db: Database) -> Figures:
    """Posts sent, attempts used, and the worst event-to-last-post time."""
    with db.session() as s:
        arrived = dict(s.execute(select(InboundEventRow.id, InboundEventRow.created_at)).all())
        posts = list(s.scalars(select(OutboxRow)))
    worst = max(
        (
            (p.sent_at - arrived[p.source_event_id]).total_seconds()
            for p in posts
            if p.sent_at is not None and p.source_event_id in arrived
        ),
        default=0.0,
    )
    return Figures(len(arrived), len(posts), sum(p.attempts for p in posts), worst)


def report(name: str, db: Database) -> Figures:
    f = figures(db)
    print(
        f"\nfault: {name}: {f.events} events, {f.posts} posts in {f.attempts} attempts, "
        f"worst event-to-last-post {f.worst_seconds:.1f} s"
    )
    return f


def all_settled(db: Database) -> bool:
    """Every event finished and every post out (sent), none given up."""
    with db.session() as s:
        events = list(s.scalars(select(InboundEventRow.status)))
        posts = list(s.scalars(select(OutboxRow.status)))
    return all(e != EventStatus.RECEIVED for e in events) and all(
        p == OutboxStatus.SENT for p in posts
    )


def assert_nothing_failed(db: Database) -> None:
    with db.session() as s:
        failed = list(
            s.scalars(select(InboundEventRow).where(InboundEventRow.status == EventStatus.FAILED))
        )
        given_up = list(s.scalars(select(OutboxRow).where(OutboxRow.status != OutboxStatus.SENT)))
    assert not failed, [(e.id, e.error) for e in failed]
    assert not given_up, [(p.id, p.status, p.last_error) for p in given_up]


@contextmanager
def processes(*procs: subprocess.Popen[bytes]) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Kill the process groups on the way out; their stderr is kept for the assertion."""
    try:
        yield list(procs)
    finally:
        for p in procs:
            with suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=30)


def alive(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        assert p.poll() is None, (
            p.args,
            p.returncode,
            p.stderr.read().decode()[-2000:] if p.stderr else "",
        )


def start_scheduler(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "parallelos.cli", "scheduler"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def slack() -> Iterator[FakeSlackHooks]:
    with FakeSlackHooks() as fake:
        yield fake


# -- Slack 5xx and 429 storms ------------------------------------------------------------------
STORMS = {
    "5xx": Reply({"ok": False, "error": "internal_error"}, 503),
    "429": Reply({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "1"}),
}


@pytest.mark.parametrize("storm", sorted(STORMS))
def test_a_slack_storm_mid_load_loses_nothing_and_posts_nothing_twice(db, redis_conn, slack, storm):
    """For 8 s every chat.postMessage answers 503 (or 429 with Retry-After), while DMs keep
    arriving: each is answered once, in order, after the storm; no post is given up."""
    svc = slack_services(db, slack, queue=RQJobQueue(redis_conn))
    with processes(start_worker(worker_env(db, slack))) as procs, running(svc) as client:
        d = SlackDialogue(client, slack)
        sent = say_all(d, dms(LOAD // 2))
        slack.storm("chat.postMessage", STORMS[storm], seconds=8.0)
        sent += say_all(d, dms(LOAD // 2, start=LOAD // 2))
        wait_until(lambda: all_settled(db), timeout=SETTLE, what="every post out")
        alive(procs)
    assert_each_answered_once(d, sent)
    assert_nothing_failed(db)
    refused = [c for c in slack.calls("chat.postMessage") if not c.ok]
    assert refused, "the storm never reached a post"
    report(f"slack {storm} storm 8 s, {db.engine.dialect.name}", db)


# -- Telegram retry_after ----------------------------------------------------------------------
def telegram_worker_env(db: Database, tg: FakeTelegram, chat_id: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PARALLELOS_"))}
    env.update(
        DATABASE_URL=db.url,
        REDIS_URL=TEST_REDIS_URL,
        TELEGRAM_BOT_TOKEN=TG_TOKEN,
        TELEGRAM_API_URL=tg.base_url,
        TELEGRAM_CHAT_ID=str(chat_id),
        PARALLELOS_OPERATORS=f"telegram:{TG_OPERATOR}",
        PYTHONPATH=str(ROOT),
    )
    return env


def test_telegram_retry_after_mid_load_loses_nothing_and_posts_nothing_twice(db, redis_conn):
    """While updates arrive, the next RATE_LIMITED sendMessage calls answer 429 with
    `retry_after: 2` (counted, not timed: under load a time window could pass with no call in
    it): the posts wait as told and each goes out once."""
    with fake_telegram() as tg:
        svc = telegram_services(db, tg, queue=RQJobQueue(redis_conn))
        chat_id = int(svc.settings.telegram_chat_id or 0)
        env = telegram_worker_env(db, tg, chat_id)
        with processes(start_worker(env)) as procs, telegram_running(svc) as client:
            d = TelegramDialogue(client, tg)
            sent: list[Said] = [d.say(text) for text in dms(LOAD // 2)]
            tg.fail_next("sendMessage", 429, retry_after=2, times=RATE_LIMITED)
            sent += [d.say(text) for text in dms(LOAD // 2, start=LOAD // 2)]
            assert all(s.response.status_code == 200 for s in sent)
            wait_until(lambda: all_settled(db), timeout=SETTLE, what="every post out")
            alive(procs)
        for said in sent:
            assert len(d.replies(said)) == 1, (said.ref, d.replies(said))
        assert sum(c.status == 429 for c in tg.calls("sendMessage")) == RATE_LIMITED
        assert_nothing_failed(db)
        report(f"telegram retry_after on {RATE_LIMITED} sends, {db.engine.dialect.name}", db)


# -- two workers and two schedulers on SQLite --------------------------------------------------
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_two_workers_and_two_schedulers_on_sqlite_lose_nothing_and_double_nothing(
    db, redis_conn, slack
):
    """The default install's database under two workers and two schedulers (each reconciling
    at start): WAL and the busy timeout make the losers wait, never fail."""
    env = worker_env(db, slack)
    svc = slack_services(db, slack, queue=RQJobQueue(redis_conn))
    started = [start_worker(env), start_worker(env), start_scheduler(env), start_scheduler(env)]
    with processes(*started) as procs, running(svc) as client:
        d = SlackDialogue(client, slack)
        sent = say_all(d, dms(2 * LOAD))
        wait_until(lambda: all_settled(db), timeout=SETTLE, what="every post out")
        alive(procs)
    assert_each_answered_once(d, sent)
    assert_nothing_failed(db)
    for p in procs[:2]:
        err = p.stderr.read().decode() if p.stderr else ""
        assert "database is locked" not in err, err[-2000:]
    report("two workers + two schedulers, sqlite", db)


# -- PostgreSQL restarted mid-load -------------------------------------------------------------
PG_BIN = Path("/usr/lib/postgresql")


def pg_tool(name: str) -> str | None:
    found = sorted(PG_BIN.glob(f"*/bin/{name}"))
    return str(found[-1]) if found else shutil.which(name)


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb in a temporary folder, its own port), to stop
    and start without touching the machine's server. Run as `postgres` when we are root."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.data = directory / "data"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, timeout=60)
        if done.returncode:
            log = (self.directory / "log").read_text() if (self.directory / "log").exists() else ""
            raise AssertionError(f"{args[0]} failed: {done.stderr.decode()}\n{log[-2000:]}")

    def init(self) -> None:
        self.directory.chmod(0o777)
        self._run(pg_tool("initdb") or "initdb", "-D", str(self.data), "-A", "trust",
                  "-U", "postgres", "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(pg_tool("pg_ctl") or "pg_ctl", "-D", str(self.data), "-o", options,
                  "-l", str(self.directory / "log"), "-w", "start")  # fmt: skip

    def stop(self) -> None:
        ctl = pg_tool("pg_ctl") or "pg_ctl"
        try:
            self._run(ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")
        except AssertionError:  # seen once, unexplained: make sure it is down, or say why
            done = subprocess.run([*self.as_user, ctl, "-D", str(self.data), "status"],
                                  capture_output=True, timeout=60)  # fmt: skip
            if done.returncode != 3:  # 3: no server running
                self._run(ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def private_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePostgres]:
    if pg_tool("initdb") is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("PostgreSQL's initdb is not installed")
    directory = Path(tmp_path_factory.mktemp("pg", numbered=True))
    Path(directory.parent).chmod(0o755)
    Path(directory.parent.parent).chmod(0o755)
    server = PrivatePostgres(directory)
    server.init()
    server.start()
    yield server
    with suppress(AssertionError):
        server.stop()


def test_postgresql_restarted_mid_load_loses_nothing_and_posts_nothing_twice(
    private_postgres, redis_conn, slack
):
    """The database goes away while DMs arrive: what it could not store is refused (Slack
    delivers it again), the worker outlives the outage, and after a restart every DM is
    answered exactly once."""
    upgrade(private_postgres.url)
    db = Database(private_postgres.url)
    try:
        svc = slack_services(db, slack, queue=RQJobQueue(redis_conn))
        with processes(start_worker(worker_env(db, slack))) as procs, running(svc) as client:
            d = SlackDialogue(client, slack)
            sent = say_all(d, dms(LOAD // 2))
            private_postgres.stop()
            refused = [d.say(text) for text in dms(LOAD // 2, start=LOAD // 2)]
            assert all(r.response.status_code >= 500 for r in refused), [
                r.response.status_code for r in refused
            ]
            private_postgres.start()
            for said in refused:  # Slack's retry of each unacknowledged delivery
                assert d.deliver(said.payload).status_code == 200
            sent += refused
            wait_until(lambda: stored_events(db) == LOAD, timeout=30, what="every DM stored")
            reconcile(svc, grace=timedelta(0))  # what the scheduler does after its grace
            wait_until(lambda: all_settled(db), timeout=SETTLE, what="every post out")
            alive(procs)
        assert_each_answered_once(d, sent)
        assert_nothing_failed(db)
        report("postgresql stopped and restarted mid-load", db)
    finally:
        db.dispose()
