"""Recovery after an outage: --events stored events with the workers down, then started.
Time until every post of every event arrived, and that nothing was doubled or lost.

    .venv/bin/python bench/recovery.py [--events 5000] [--workers 2] [--lost-queue]

Starts the stack of bench/harness.py with the web process and no worker, POSTs --events signed
`message.im` deliveries (32 at a time; each is stored and queued, and acknowledged), then
starts --workers `parallelos worker`s and the scheduler and measures the drain. With
--lost-queue the RQ queue is deleted first and the stored events are made older than the
reconciler's grace: as after a Redis outage, only the reconciler (on a worker's start, then
every 15 s in the scheduler) finds the work.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import timedelta

import harness as h


async def store(st: h.Stack, tracker: h.Tracker, events: int) -> list[int]:
    tracker.loop = asyncio.get_running_loop()
    async with h.Sender(st.url(), tracker.traffic, tracker, connections=32, slack=st.slack) as s:
        slots = asyncio.Semaphore(32)

        async def one(i: int) -> int:
            async with slots:
                return await s.send(i)

        return list(await asyncio.gather(*(one(i) for i in range(events))))


def run(args: argparse.Namespace, machine: dict) -> dict:
    from sqlalchemy import create_engine, text

    from orchestrator.db import normalise_url, utcnow

    with h.Stack(workers=0, redis_url=args.redis_url, postgres=args.postgres) as st:
        machine["stack"] = st.describe()
        tracker = h.Tracker(st.traffic())
        st.slack.on_post = tracker.on_post
        t_store = time.monotonic()
        codes = asyncio.run(store(st, tracker, args.events))
        stored_s = time.monotonic() - t_store
        stored = st.count_rows("SELECT count(*) FROM inbound_events WHERE status = 'received'")
        queued = st.queue_depth()
        if args.lost_queue:
            st.redis.conn.delete("rq:queue:parallelos")
            engine = create_engine(normalise_url(st.pg.url))
            with engine.begin() as conn:  # older than the reconciler's grace (20 s)
                conn.execute(
                    text("UPDATE inbound_events SET created_at = :t"),
                    {"t": utcnow().replace(tzinfo=None) - timedelta(seconds=60)},
                )
            engine.dispose()
        print(f"stored {stored} events in {stored_s:.1f} s ({queued} jobs queued)", flush=True)
        t0 = time.monotonic()
        st.worker_procs = [st.start_worker(f"worker{n + 1}") for n in range(args.workers)]
        st.add_proc("scheduler", [str(h.VENV_BIN / "parallelos"), "scheduler"])
        deadline = t0 + args.give_up
        while len(tracker.done) < args.events and time.monotonic() < deadline:
            time.sleep(0.05)
        finished = len(tracker.done)
        last = max(tracker.done.values(), default=t0)
        time.sleep(2.0)  # anything arriving late, or twice
        doubled = sum(1 for v in tracker.arrivals.values() if len(v) > h.POSTS_PER_MESSAGE)
        left = st.count_rows("SELECT count(*) FROM inbound_events WHERE status <> 'done'")
        posts_left = st.count_rows("SELECT count(*) FROM outbox WHERE status <> 'sent'")
    return {
        "events": args.events,
        "non_200": sum(1 for c in codes if c != 200),
        "stored": stored,
        "stored_s": stored_s,
        "queued": queued,
        "drain_s": last - t0,
        "finished": finished,
        "events_per_s": finished / max(1e-9, last - t0),
        "doubled": doubled,
        "events_left": left,
        "posts_left": posts_left,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--events", type=int, default=5000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--lost-queue", action="store_true", help="drop the RQ queue: reconciler only")
    p.add_argument("--give-up", type=float, default=600.0, help="seconds to wait for the drain")
    h.add_run_options(p, section="recovery", quiet_wait=False)
    args = p.parse_args(argv)
    args.events = max(1, min(args.events, 20_000))
    args.workers = max(1, min(args.workers, 8))
    machine = h.machine()
    r = run(args, machine)
    report = "\n".join(
        [
            f"Measured {h.machine_line(machine)}; {args.events} events stored with the workers "
            f"down, then {args.workers} workers and the scheduler started"
            + ("; RQ queue dropped (reconciler only)" if args.lost_queue else "; queue kept")
            + (f"; {args.label}" if args.label else "")
            + ".",
            "",
            h.table(
                [
                    "stored",
                    "stored in s",
                    "drained in s",
                    "events/s",
                    "finished",
                    "doubled",
                    "events left",
                    "posts not sent",
                    "not 200",
                ],
                [
                    [
                        r["stored"],
                        f"{r['stored_s']:.1f}",
                        f"{r['drain_s']:.1f}",
                        f"{r['events_per_s']:.1f}",
                        r["finished"],
                        r["doubled"],
                        r["events_left"],
                        r["posts_left"],
                        r["non_200"],
                    ]
                ],
            ),  # fmt: skip
        ]
    )
    h.publish(report, args, {"machine": machine, "result": r})
    return 0


if __name__ == "__main__":
    sys.exit(main())
