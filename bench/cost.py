"""Cost of one message, stage by stage, in one process: CPU ms, SQL statements, commits and
connection pings — figures that a loaded machine changes little, unlike throughput and latency.

CPU is the whole process's (every thread: the Slack sender's event-loop thread included) less
the fake Slack's own threads (its accept loop and one thread a connection, each timed on its
own clock); "this thread" is the calling thread's alone, as this script measured before.

    .venv/bin/python bench/cost.py [--messages 300] [--source REV|worktree|DIR] [--markdown]

Stages, each timed over --messages signed `message.im` events (already parsed):
  edge, one a time      Intake.store_and_queue([event]): one transaction, one RQ enqueue
  edge, batches of 32   Intake.store_and_queue(32 events): what the group commit does under load
  worker                jobs.tasks.process_event(id): route, offline step, outbox rows, and the
                        inline delivery of the three posts to the fake Slack (RQ's own per-job
                        cost is not in it: see the no-op baselines of pipeline.py/sustained.py)
  worker, jobs of 8     jobs.tasks.process_events(8 ids): the same work, several events to a job
                        (one charter refresh and one delivery drain a job); where the tree has it

Uses a private PostgreSQL cluster and Redis like the other scripts; the fake Slack runs on its
own threads in this process, and their CPU is subtracted.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import ssl
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import harness as h

BATCH = 32


class Counters:
    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        from sqlalchemy import event

        self.statements = self.commits = self.pings = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        dialect = engine.dialect
        original = dialect.do_ping

        def ping(conn):  # type: ignore[no-untyped-def]
            self.pings += 1
            return original(conn)

        dialect.do_ping = ping
        self.slack = None  # the fake Slack: its calls and connections are counted too

    def _statement(self, *args: object) -> None:
        self.statements += 1

    def _commit(self, *args: object) -> None:
        self.commits += 1

    def snapshot(self) -> tuple[int, int, int, int, int]:
        calls = len(self.slack.calls()) if self.slack is not None else 0
        conns = getattr(self.slack, "connections", 0)  # counted by the kept-alive stand-in only
        return self.statements, self.commits, self.pings, calls, conns


class FakeCPU:
    """CPU seconds the fake Slack's threads used: its accept loop, and each connection's
    handler thread (timed when it ends, read from its clock while it lives). Installed on the
    stand-in's handler class before any connection, for the old (HTTP/1.0, a thread a request)
    and the new (kept-alive) stand-in alike."""

    def __init__(self) -> None:
        from tests.fakes import http as fake_http

        self.lock = threading.Lock()
        self.ended = 0.0
        self.live: dict[int, int] = {}  # thread ident -> its CPU clock id
        self.loops: list[int] = []  # the accept loops' clock ids
        handler = fake_http._Handler
        setup, finish = handler.setup, handler.finish
        cpu = self

        def timed_setup(request) -> None:  # type: ignore[no-untyped-def]
            with cpu.lock:
                cpu.live[threading.get_ident()] = time.pthread_getcpuclockid(threading.get_ident())
            setup(request)

        def timed_finish(request) -> None:  # type: ignore[no-untyped-def]
            try:
                finish(request)
            finally:
                with cpu.lock:
                    cpu.live.pop(threading.get_ident(), None)
                    cpu.ended += time.thread_time()

        handler.setup, handler.finish = timed_setup, timed_finish

    def add_loop(self, thread: threading.Thread | None) -> None:
        if thread is not None and thread.ident is not None:
            self.loops.append(time.pthread_getcpuclockid(thread.ident))

    def seconds(self) -> float:
        with self.lock:
            clocks = [*self.live.values(), *self.loops]
            total = self.ended
            for clock in clocks:  # a handler leaves `live` (under the lock) before it ends
                with contextlib.suppress(OSError):
                    total += time.clock_gettime(clock)
            return total


FAKE: FakeCPU | None = None


def serve_tls(slack, folder: Path) -> str:  # type: ignore[no-untyped-def]
    """Wrap the fake Slack's listening socket in TLS (a self-signed P-256 certificate for
    127.0.0.1, trusted by this process through SSL_CERT_FILE, which urllib's and aiohttp's
    default contexts read); the https:// API address."""
    key, cert = h.certificate(folder)
    os.environ["SSL_CERT_FILE"] = str(cert)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    slack._server.socket = context.wrap_socket(slack._server.socket, server_side=True)
    return str(slack.url).replace("http://", "https://")


def process_cpu() -> float:
    """The process's CPU seconds less the fake Slack's."""
    return time.process_time() - (FAKE.seconds() if FAKE is not None else 0.0)


def measure(name: str, fn, units: int, counters: Counters) -> dict:  # type: ignore[no-untyped-def]
    before = counters.snapshot()
    c0, t0, w0 = process_cpu(), time.thread_time(), time.perf_counter()
    fn()
    c1, t1, w1 = process_cpu(), time.thread_time(), time.perf_counter()
    after = counters.snapshot()
    statements, commits, pings, calls, conns = (a - b for a, b in zip(after, before, strict=True))
    return {
        "stage": name,
        "cpu_ms": 1000 * (c1 - c0) / units,
        "thread_cpu_ms": 1000 * (t1 - t0) / units,
        "wall_ms": 1000 * (w1 - w0) / units,
        "statements": statements / units,
        "commits": commits / units,
        "pings": pings / units,
        "slack_calls": calls / units,
        "connections": conns / units,
    }


def run(args: argparse.Namespace, machine: dict) -> list[dict]:
    from bot import slack_events
    from bot.intake import Intake
    from jobs import tasks
    from jobs.queue import RQJobQueue
    from jobs.runtime import install
    from orchestrator.settings import load_settings
    from parallelos.wiring import build_services

    global FAKE
    results: list[dict] = []
    FAKE = FakeCPU()
    with (
        tempfile.TemporaryDirectory() as tls_dir,
        h.Stack(workers=0, postgres=args.postgres, redis_url=args.redis_url, web=False) as st,
    ):
        machine["stack"] = st.describe()
        FAKE.add_loop(st.slack._thread)
        env = {k: v for k, v in st.env.items()
               if k in ("DATABASE_URL", "REDIS_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET",
                        "SLACK_API_URL", "PARALLELOS_OPERATORS")}  # fmt: skip
        if args.tls:
            env["SLACK_API_URL"] = serve_tls(st.slack, Path(tls_dir))
            machine["stack"] += ", the fake Slack over TLS"
        settings = load_settings(_env_file=None, **env)
        svc = build_services(settings, queue=RQJobQueue(st.redis.conn))
        install(svc)
        counters = Counters(svc.db.engine)
        counters.slack = st.slack
        intake = Intake(svc)
        traffic = st.traffic()
        bot_user = st.slack.bot_user_id

        def events(start: int, count: int) -> list:  # type: ignore[type-arg]
            out = []
            for i in range(start, start + count):
                st.slack.person_message(
                    traffic.dm_of(i), traffic.ts(i), traffic.text(i), traffic.user_of(i)
                )
                body = json.loads(traffic.body(i))
                out.append(slack_events.message_event(body, bot_user_id=bot_user))
            return out

        warm = [intake.accept(e) for e in events(0, 20)]
        for event_id in warm:
            tasks.process_event(event_id)
        n = args.messages
        profiler = cProfile.Profile(time.thread_time) if args.profile else None  # CPU, not wall
        for run_no in range(args.runs):
            base = 10_000 * (run_no + 1)
            one = events(base, n)
            ids: list[int] = []
            results.append(measure(
                "edge, one a time", lambda one=one, ids=ids: ids.extend(intake.accept(e) for e in one),
                n, counters,
            ))  # fmt: skip
            if hasattr(intake, "store_and_queue"):  # the group commit (absent before it)
                batched = events(base + n, n)
                results.append(measure(
                    f"edge, batches of {BATCH}",
                    lambda batched=batched: [intake.store_and_queue(batched[k:k + BATCH])
                             for k in range(0, n, BATCH)],
                    n, counters,
                ))  # fmt: skip

            def work(ids: list[int] = ids) -> None:
                if profiler is None:
                    for i in ids:
                        tasks.process_event(i)
                    return
                profiler.enable()
                try:
                    for i in ids:
                        tasks.process_event(i)
                finally:
                    profiler.disable()

            results.append(measure("worker (process_event)", work, n, counters))
            if hasattr(tasks, "process_events"):  # several events to a job (absent before it)
                from orchestrator.handoff import EVENTS_PER_JOB, event_batches

                more = [intake.accept(e) for e in events(base + 2 * n, n)]
                results.append(measure(
                    f"worker, jobs of {EVENTS_PER_JOB} (process_events)",
                    lambda more=more: [tasks.process_events(event_ids=b)
                                       for b in event_batches(more)],
                    n, counters,
                ))  # fmt: skip
            st.redis.conn.delete("rq:queue:parallelos")
        if args.trace:
            trace_one(svc, intake, events(900_000, 1)[0], tasks.process_event)
        install(None)
        svc.db.dispose()
    if profiler is not None:
        profiler.dump_stats(str(args.profile))
        print(top_frames(args.profile))
    return results


def trace_one(svc, intake, event, process) -> None:  # type: ignore[no-untyped-def]
    """Print each SQL statement and commit of one message's worker stage."""
    from sqlalchemy import event as sa_event

    lines: list[str] = []

    def statement(conn, cursor, sql, *args):  # type: ignore[no-untyped-def]
        lines.append("  " + " ".join(str(sql).split())[:150])

    def commit(conn):  # type: ignore[no-untyped-def]
        lines.append("  COMMIT")

    event_id = intake.accept(event)
    sa_event.listen(svc.db.engine, "before_cursor_execute", statement)
    sa_event.listen(svc.db.engine, "commit", commit)
    try:
        process(event_id)
    finally:
        sa_event.remove(svc.db.engine, "before_cursor_execute", statement)
        sa_event.remove(svc.db.engine, "commit", commit)
    print("one message, worker stage:", *lines, sep="\n")


def top_frames(path: Path, limit: int = 25) -> str:
    """The worker stage's profile: the functions with the most cumulative and own time."""
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)
    return out.getvalue()


def summarise(results: list[dict], machine: dict, args: argparse.Namespace) -> str:
    stages = list(dict.fromkeys(r["stage"] for r in results))
    rows = []
    for stage in stages:
        rs = [r for r in results if r["stage"] == stage]
        med = {k: statistics.median(r[k] for r in rs)
               for k in ("cpu_ms", "thread_cpu_ms", "wall_ms", "statements", "commits",
                         "pings", "slack_calls", "connections")}  # fmt: skip
        rows.append([stage, f"{med['cpu_ms']:.2f}", f"{med['thread_cpu_ms']:.2f}",
                     f"{med['wall_ms']:.2f}",
                     f"{med['statements']:.1f}", f"{med['commits']:.2f}",
                     f"{med['pings']:.2f}", f"{med['slack_calls']:.2f}",
                     f"{med['connections']:.2f}"])  # fmt: skip
    return "\n".join([
        f"Measured {h.machine_line(machine)}; {args.runs} runs of {args.messages} messages, "
        "medians" + (f"; {args.label}" if args.label else "") + ".",
        "",
        h.table(["stage, per message", "CPU ms (process, less the fake)", "CPU ms (this thread)",
                 "wall ms", "SQL statements",
                 "commits", "pool pings", "Slack calls", "Slack connections"], rows),
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--messages", type=int, default=300)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--trace", action="store_true", help="print one message's SQL statements")
    p.add_argument("--profile", type=Path, help="cProfile the worker stage; stats to this file")
    p.add_argument("--tls", action="store_true",
                   help="serve the fake Slack over TLS, as Slack is (a new connection costs a "
                        "handshake)")  # fmt: skip
    h.add_run_options(p, section="cost", quiet_wait=False)
    args = p.parse_args(argv)
    args.messages = max(BATCH, min(args.messages, 3000))
    args.runs = max(1, min(args.runs, 10))
    machine = h.machine()
    results = run(args, machine)
    h.publish(summarise(results, machine, args), args, {"machine": machine, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
