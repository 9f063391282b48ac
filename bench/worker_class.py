"""RQ's forking `Worker` against `SimpleWorker` (what `parallelos worker` runs, jobs/worker.py),
no-op jobs with the JSON serializer: jobs/s and idle latency, one and two workers.

    .venv/bin/python bench/worker_class.py [--jobs 1000] [--markdown]
"""

from __future__ import annotations

import argparse
import sys

import harness as h


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--jobs", type=int, default=1000, help="no-op jobs enqueued at once, a run")
    p.add_argument("--source", default="HEAD", help="as in the other scripts")
    p.add_argument("--redis-url", help="use this Redis database (flushed)")
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--section", default="worker-class")
    args = p.parse_args(argv)
    args.jobs = max(10, min(args.jobs, 20_000))
    machine = h.machine()
    rows = []
    with h.Stack(workers=0, web=False, redis_url=args.redis_url) as st:
        for cls in ("rq.Worker", "rq.SimpleWorker"):
            for n in (1, 2):
                b = h.RQBaseline(st, n, cls)
                lat = b.latency_ms(100)
                rate = h.median([b.jobs_per_s(args.jobs) for _ in range(3)])
                b.stop()
                rows.append([f"`{cls}`", n, f"{rate:.0f}",
                             f"{h.median(lat):.1f} / {h.percentile(lat, 95):.1f}"])  # fmt: skip
    report = "\n".join([
        f"Measured {h.machine_line(machine)}; private Redis; {args.jobs} no-op jobs enqueued at "
        "once (median of 3), and 100 one at a time on idle workers.",
        "",
        h.table(["worker class", "workers", "no-op jobs/s", "idle latency p50 / p95 ms"], rows),
    ])  # fmt: skip
    print(report)
    if args.markdown:
        h.write_section(args.section, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
