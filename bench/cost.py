"""Cost of one message, stage by stage, in one process: CPU ms (this thread only), SQL
statements, commits and connection pings — figures that a loaded machine changes little,
unlike throughput and latency.

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
own threads, so its CPU is not counted.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
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

    def _statement(self, *args: object) -> None:
        self.statements += 1

    def _commit(self, *args: object) -> None:
        self.commits += 1

    def snapshot(self) -> tuple[int, int, int]:
        return self.statements, self.commits, self.pings


def measure(name: str, fn, units: int, counters: Counters) -> dict:  # type: ignore[no-untyped-def]
    before = counters.snapshot()
    c0, w0 = time.thread_time(), time.perf_counter()
    fn()
    c1, w1 = time.thread_time(), time.perf_counter()
    after = counters.snapshot()
    statements, commits, pings = (a - b for a, b in zip(after, before, strict=True))
    return {
        "stage": name,
        "cpu_ms": 1000 * (c1 - c0) / units,
        "wall_ms": 1000 * (w1 - w0) / units,
        "statements": statements / units,
        "commits": commits / units,
        "pings": pings / units,
    }


def run(args: argparse.Namespace, machine: dict) -> list[dict]:
    from bot import slack_events
    from bot.intake import Intake
    from jobs import tasks
    from jobs.queue import RQJobQueue
    from jobs.runtime import install
    from orchestrator.settings import load_settings
    from parallelos.wiring import build_services

    results: list[dict] = []
    with h.Stack(workers=0, postgres=args.postgres, redis_url=args.redis_url, web=False) as st:
        machine["stack"] = st.describe()
        settings = load_settings(_env_file=None, **{
            k: v for k, v in st.env.items()
            if k in ("DATABASE_URL", "REDIS_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET",
                     "SLACK_API_URL", "PARALLELOS_OPERATORS")
        })  # fmt: skip
        svc = build_services(settings, queue=RQJobQueue(st.redis.conn))
        install(svc)
        counters = Counters(svc.db.engine)
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
               for k in ("cpu_ms", "wall_ms", "statements", "commits", "pings")}  # fmt: skip
        rows.append([stage, f"{med['cpu_ms']:.2f}", f"{med['wall_ms']:.2f}",
                     f"{med['statements']:.1f}", f"{med['commits']:.2f}",
                     f"{med['pings']:.2f}"])  # fmt: skip
    return "\n".join([
        f"Measured {h.machine_line(machine)}; {args.runs} runs of {args.messages} messages, "
        "medians" + (f"; {args.label}" if args.label else "") + ".",
        "",
        h.table(["stage, per message", "CPU ms (this thread)", "wall ms", "SQL statements",
                 "commits", "pool pings"], rows),
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--messages", type=int, default=300)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--trace", action="store_true", help="print one message's SQL statements")
    p.add_argument("--profile", type=Path, help="cProfile the worker stage; stats to this file")
    h.add_run_options(p, section="cost", quiet_wait=False)
    args = p.parse_args(argv)
    args.messages = max(BATCH, min(args.messages, 3000))
    args.runs = max(1, min(args.runs, 10))
    machine = h.machine()
    results = run(args, machine)
    report = summarise(results, machine, args)
    print(report)
    if args.markdown:
        h.write_section(args.section, report)
    h.dump_json(args.json, {"machine": machine, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
