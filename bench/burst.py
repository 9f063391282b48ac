"""A burst of simultaneous signed DMs: how many are acknowledged within Slack's 3 seconds, how
long until every post arrived, and that nothing was lost or doubled.

    .venv/bin/python bench/burst.py [--messages 300] [--workers 2] [--postgres sqlite] [--runs 1]

Starts the stack of bench/harness.py (web, --workers `parallelos worker`s), warms it with 10
messages, then opens --messages connections and POSTs one signed `message.im` on each at once.
Slack retries a delivery not answered within 3 s; the dedupe holds, but the user waits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time

import harness as h

ACK_LIMIT_MS = 3000.0


async def drive(st: h.Stack, tracker: h.Tracker, args: argparse.Namespace) -> list[dict]:
    results = []
    async with h.warmed_sender(st, tracker, connections=args.messages) as sender:
        for n in range(args.runs):
            if args.quiet_wait:
                await asyncio.to_thread(h.wait_quiet, args.quiet_wait)
            ids = list(range(1000 * (n + 1), 1000 * (n + 1) + args.messages))
            waiters = [tracker.waiter(i) for i in ids]
            t0 = time.monotonic()
            codes = await asyncio.gather(*(sender.send(i) for i in ids))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*waiters), args.give_up)
            acks = [1000 * (tracker.acked[i] - tracker.sent[i]) for i in ids]
            done = [i for i in ids if i in tracker.done]
            results.append(
                {
                    "messages": len(ids),
                    "non_200": sum(1 for c in codes if c != 200),
                    "late_acks": sum(1 for a in acks if a > ACK_LIMIT_MS),
                    "ack_p50_ms": h.median(acks),
                    "ack_p99_ms": h.percentile(acks, 99),
                    "ack_max_ms": max(acks),
                    "finished": len(done),
                    "all_posts_s": max((tracker.done[i] for i in done), default=t0) - t0,
                    "doubled": sum(
                        1 for i in ids if len(tracker.arrivals.get(i, [])) > h.POSTS_PER_MESSAGE
                    ),
                }
            )
            r = results[-1]
            print(
                f"run {n + 1}: {r['late_acks']} of {r['messages']} acked after 3 s, ack p99 "
                f"{r['ack_p99_ms']:.0f} ms, all posts in {r['all_posts_s']:.1f} s, "
                f"finished {r['finished']}, doubled {r['doubled']}",
                flush=True,
            )
    return results


def summarise(results: list[dict], machine: dict, args: argparse.Namespace) -> str:
    rows = [
        [
            n,
            r["messages"],
            r["late_acks"],
            f"{r['ack_p50_ms']:.0f} / {r['ack_p99_ms']:.0f} / {r['ack_max_ms']:.0f}",
            r["non_200"],
            f"{r['all_posts_s']:.1f}",
            r["messages"] - r["finished"],
            r["doubled"],
        ]
        for n, r in enumerate(results, 1)
    ]
    return "\n".join(
        [
            f"Measured {h.machine_line(machine)}; {args.workers} workers, bursts of "
            f"{args.messages} simultaneous signed DMs, {args.runs} run(s)"
            + (f"; {args.label}" if args.label else "")
            + ".",
            "",
            h.table(
                [
                    "run",
                    "DMs",
                    "acked after 3 s",
                    "ack p50 / p99 / max ms",
                    "not 200",
                    "all posts arrived after s",
                    "lost",
                    "doubled",
                ],
                rows,
            ),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--messages", type=int, default=300)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--give-up", type=float, default=120.0, help="seconds to wait for all posts")
    h.add_run_options(p, section="burst")
    args = p.parse_args(argv)
    args.messages = max(1, min(args.messages, 1000))
    args.workers = max(1, min(args.workers, 8))
    args.runs = max(1, min(args.runs, 5))
    results, machine, _ = h.tracked_run(drive, args, workers=args.workers)
    h.publish(summarise(results, machine, args), args, {"machine": machine, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
