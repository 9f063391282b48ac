"""Activation and rollback reach running workers: two `parallelos worker` processes, no restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rq import Worker
from sqlalchemy import select

from jobs.queue import RQJobQueue
from orchestrator.canonical import EventKind, InboundEvent, Platform
from orchestrator.handoff import enqueue_event
from orchestrator.ingest import store_events
from orchestrator.models import LogEvent
from tests.charter_support import charter, charter_dir, receipts_candidate, use
from tests.conftest import TEST_REDIS_URL
from tests.helpers import make_services

ROOT = Path(__file__).resolve().parent.parent
_n = iter(range(1, 10_000))


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "parallelos.cli", "worker"], env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip


def wait_until(check, timeout: float = 90.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def note(db, svc, conn) -> str:  # type: ignore[no-untyped-def]
    """A free-text note in finance's local channel, handled by whichever worker takes it; the
    charter version its `domain.note` event names."""
    n = next(_n)
    event = InboundEvent(platform=Platform.LOCAL, external_id=f"w{n}", kind=EventKind.MESSAGE,
                         user="local:me", channel="local-finance", text=f"note {n}")  # fmt: skip
    (event_id,) = store_events(db, [event])
    enqueue_event(svc, event_id)

    def version() -> str | None:
        with db.session() as s:
            return s.scalar(select(LogEvent.charter_version).where(
                LogEvent.kind == "domain.note", LogEvent.source_event_id == event_id))  # fmt: skip

    return wait_until(version)


def done_by(conn, pids: set[int]) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Jobs finished by each of our workers (by pid: the Redis may be shared)."""
    return {w.pid: w.successful_job_count for w in Worker.all(connection=conn) if w.pid in pids}


def each_worker_runs(db, svc, conn, pids: set[int], expected: str) -> None:  # type: ignore[no-untyped-def]
    """Notes until both workers have handled one more job; every note names `expected`."""
    start = done_by(conn, pids)
    for _ in range(60):
        assert note(db, svc, conn) == expected
        now = done_by(conn, pids)
        if all(now.get(pid, 0) > count for pid, count in start.items()):
            return
    raise AssertionError(f"a worker took no job: {start} → {now}")


def test_activation_and_rollback_reach_two_running_workers(
    pg_db, redis_conn, tmp_path, monkeypatch, capsys
):
    """Both workers run version 1; `activate finance 2` in another process makes both run 2 on
    their next job; `rollback` brings both back to 1."""
    domains = charter_dir(tmp_path)
    use(monkeypatch, pg_db, domains)
    svc = make_services(pg_db, queue=RQJobQueue(redis_conn), PARALLELOS_DOMAINS_DIR=str(domains))
    charter(capsys, "shadow", "finance", str(receipts_candidate(tmp_path)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PARALLELOS_"))}
    env.update(DATABASE_URL=pg_db.url, REDIS_URL=TEST_REDIS_URL, PYTHONPATH=str(ROOT),
               PARALLELOS_DOMAINS_DIR=str(domains))  # fmt: skip
    workers = [start_worker(env), start_worker(env)]
    try:
        pids = {w.pid for w in workers}
        wait_until(lambda: len(done_by(redis_conn, pids)) == 2)
        each_worker_runs(pg_db, svc, redis_conn, pids, "1")
        assert charter(capsys, "activate", "finance", "2")[0] == 0
        each_worker_runs(pg_db, svc, redis_conn, pids, "2")
        assert charter(capsys, "rollback", "finance")[0] == 0
        each_worker_runs(pg_db, svc, redis_conn, pids, "1")
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
