"""Issue 15, the edge: CPU a signed `message.im` costs in the web process's Slack adapter, through
slack-bolt's dispatch against the adapter's own path for plain messages, in one process.

    .venv/bin/python bench/edge_dispatch.py [--requests 3000] [--runs 3] [--profile]

Builds the real `SlackAdapter` over services on a scratch SQLite file (no HTTP server, no
Redis: jobs would run in-process, but nothing is stored here). The hand-off to the database
(`Intake.accept_async`) is replaced by a coroutine that returns at once, so what is timed is
what the adapter adds between the raw body and the hand-off: the signature, parsing, bolt's
context, middleware and listener matching (or the plain-message check), the translation to an
`InboundEvent`, and the response. Each path gets the same pre-signed ~1 KB bodies (unique
event_ids); CPU time of this process (`time.process_time`), median of --runs.
`--profile` prints cProfile's top frames of the bolt path.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import harness as h
from slack_bolt.authorization import AuthorizeResult
from starlette.requests import Request
from starlette.responses import Response

from bot.slack_adapter import SlackAdapter
from orchestrator.canonical import InboundEvent
from parallelos.wiring import build_services

BOT = h.payloads.BOT_USER_ID


def request(body: bytes, headers: dict[str, str]) -> Request:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    raw = [(b"content-type", b"application/json")]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items() if k != "Content-Type"]
    scope = {
        "type": "http", "method": "POST", "path": "/slack/events", "raw_path": b"/slack/events",
        "query_string": b"", "headers": raw, "scheme": "http", "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 9), "root_path": "", "http_version": "1.1",
    }  # fmt: skip
    return Request(scope, receive)


async def timed(handle: Callable[[Request], Awaitable[Response]], reqs: list[Request]) -> float:
    t0 = time.process_time()
    for r in reqs:
        answer = await handle(r)
        if answer.status_code != 200:
            raise RuntimeError(f"answered {answer.status_code}: {answer.body[:200]!r}")
    return (time.process_time() - t0) / len(reqs) * 1000


async def through_bolt(adapter: SlackAdapter, r: Request) -> Response:
    """What `handle` did for every request before: signature, then bolt."""
    body = await r.body()
    if not adapter._signed(body, r):
        raise RuntimeError("signature")
    return await adapter.through_bolt(r, body)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--source", default="HEAD", help="as the other benchmarks (harness.py)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pos-edge-") as tmp:
        os.environ.update(
            {
                "DATABASE_URL": f"sqlite:///{Path(tmp) / 'edge.db'}",
                "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing answers: no queue is used
                "SLACK_BOT_TOKEN": h.TOKEN,
                "SLACK_SIGNING_SECRET": h.SECRET,
                "SLACK_API_URL": "http://127.0.0.1:9/api/",
                "PARALLELOS_OPERATORS": "slack:U0BENCH01",
            }
        )
        for name in [k for k in os.environ if k.startswith("ANTHROPIC_")]:
            del os.environ[name]
        svc = build_services()
        adapter = SlackAdapter(svc)
        adapter.identity.result = AuthorizeResult(  # as auth.test would answer
            enterprise_id=None, team_id="T0FAKE001", bot_user_id=BOT, bot_id="B0BENCH",
            bot_token=h.TOKEN,
        )  # fmt: skip
        handed: list[InboundEvent] = []

        async def hand_off(event: InboundEvent) -> int | None:
            handed.append(event)
            return len(handed)

        adapter.intake.accept_async = hand_off  # type: ignore[method-assign]
        traffic = h.Traffic(["D0BENCH01"], ["U0BENCH01"])
        results: dict[str, list[float]] = {"bolt": [], "own path": []}
        n = 0

        def batch(count: int = args.requests) -> list[Request]:
            nonlocal n
            out = []
            for _ in range(count):
                body = traffic.body(n)
                out.append(request(body, traffic.headers(body)))
                n += 1
            return out

        async def run() -> None:
            await timed(adapter.handle, batch(200))  # warm both paths
            await timed(lambda r: through_bolt(adapter, r), batch(200))
            for _ in range(args.runs):
                results["bolt"].append(await timed(lambda r: through_bolt(adapter, r), batch()))
                results["own path"].append(await timed(adapter.handle, batch()))
            if args.profile:
                prof = cProfile.Profile(time.process_time)
                reqs = batch()
                prof.enable()
                await timed(lambda r: through_bolt(adapter, r), reqs)
                prof.disable()
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
                print(out.getvalue())

        asyncio.run(run())
        svc.db.dispose()
    bolt, own = h.median(results["bolt"]), h.median(results["own path"])
    print(f"Measured {h.machine_line(h.machine())}; {args.runs} runs × {args.requests} requests")
    print(h.table(
        ["path", "CPU ms a request (median)", "runs"],
        [["bolt (before)", f"{bolt:.3f}", " / ".join(f"{x:.3f}" for x in results["bolt"])],
         ["own path (after)", f"{own:.3f}", " / ".join(f"{x:.3f}" for x in results["own path"])]],
    ))  # fmt: skip
    print(f"bolt's dispatch: {bolt - own:.3f} ms a request ({1 - own / bolt:.0%} of the adapter)")
    if len(handed) != n:
        print(f"**mismatch**: {n} requests, {len(handed)} events handed off", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
