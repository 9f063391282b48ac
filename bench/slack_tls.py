"""CPU of one Slack Web API call from the worker, by transport, over plain HTTP and over TLS.

    .venv/bin/python bench/slack_tls.py [--calls 400] [--rounds 3] [--work-ms 3]

The real Slack is HTTPS: slack_sdk's sync `WebClient` opens a new connection for every call,
so every post also pays a TLS handshake; `bot.slack_pool.PooledWebClient` keeps connections
open. `cost.py` runs against the plain-HTTP fake Slack on loopback, where a new connection is
cheap; this script measures the two transports side by side against the same fake, once in
plain HTTP and once wrapped in TLS (a self-signed certificate made with `openssl`, trusted
through the clients' `ssl` context), so the handshake's share is visible.

Each call is a `chat.postMessage` of a rendered post with its outbox metadata, as the worker
sends; between calls the calling thread does `--work-ms` of unrelated CPU work (the worker's
own work between posts cools the caches). Counted: the calling thread's CPU clock plus the
pool's loop thread's, not the fake's threads, not the filler work. Rounds alternate the
transports; the median of the rounds is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import harness as h  # noqa: E402
from slack_sdk import WebClient  # noqa: E402

from bot.slack_pool import SDK_LOG, PooledWebClient  # noqa: E402
from bot.slack_render import render_slack  # noqa: E402
from orchestrator.canonical import Post  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

TOKEN = "xoxb-bench"


def busy(ms: float) -> None:
    end = time.thread_time() + ms / 1000
    while time.thread_time() < end:
        sum(range(200))


def per_call(client: WebClient, channel: str, calls: int, work_ms: float) -> float:
    """CPU ms a call: the calling thread's, less the filler, plus the pool's loop thread's."""
    content = render_slack(Post(text="**Noted** for travel: flight to Lisbon on Friday. " * 3))

    def post(n: int) -> None:
        meta = {"event_type": "parallelos_post", "event_payload": {"key": f"ev{n}:0"}}
        client.chat_postMessage(channel=channel, metadata=meta, **content)

    for n in range(20):  # warm: imports, the first connection
        post(n)
    transport = getattr(client, "transport", None)
    thread = transport.thread if transport is not None else None
    clock = time.pthread_getcpuclockid(thread.ident) if thread and thread.ident else None

    def loop_cpu() -> float:
        return time.clock_gettime(clock) if clock is not None else 0.0

    filler = 0.0
    start, loop_start = time.thread_time(), loop_cpu()
    for n in range(calls):
        f0 = time.thread_time()
        busy(work_ms)
        filler += time.thread_time() - f0
        post(n)
    spent = time.thread_time() - start - filler + loop_cpu() - loop_start
    return 1000 * spent / calls


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--calls", type=int, default=400)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--work-ms", type=float, default=3.0)
    args = p.parse_args(argv)
    results: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        key, cert = h.certificate(Path(tmp))
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ctx.load_cert_chain(cert, key)
        client_ctx = ssl.create_default_context(cafile=str(cert))
        for scheme in ("http", "https"):
            with FakeSlack() as slack:
                if scheme == "https":
                    server = slack._server
                    assert server is not None
                    server.socket = server_ctx.wrap_socket(server.socket, server_side=True)
                url = slack.url.replace("http://", f"{scheme}://")
                ctx = client_ctx if scheme == "https" else None
                channel = slack.add_channel("pos-bench")
                for _ in range(args.rounds):
                    sync = WebClient(token=TOKEN, base_url=url, timeout=15, retry_handlers=[],
                                     ssl=ctx, logger=SDK_LOG)  # fmt: skip
                    pooled = PooledWebClient(token=TOKEN, base_url=url, timeout=15, ssl=ctx)
                    for name, client in (("urllib, a connection a call", sync),
                                         ("kept-alive pool", pooled)):  # fmt: skip
                        cpu = per_call(client, channel, args.calls, args.work_ms)
                        results.setdefault((scheme, name), []).append(cpu)
                    with contextlib.suppress(Exception):
                        pooled.transport.close()
    print(f"{args.rounds} rounds of {args.calls} chat.postMessage, {args.work_ms} ms of work "
          "between calls; CPU ms a call (caller + loop thread), median (rounds)")  # fmt: skip
    print("| transport | plain HTTP | TLS |")
    print("|---|---|---|")
    for name in ("urllib, a connection a call", "kept-alive pool"):
        cells = []
        for scheme in ("http", "https"):
            values = results[(scheme, name)]
            rounds = " / ".join(f"{v:.2f}" for v in values)
            cells.append(f"{statistics.median(values):.2f} ({rounds})")
        print(f"| {name} | {cells[0]} | {cells[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
