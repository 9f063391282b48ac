"""Socket Mode: events over a websocket, acknowledged once stored; a dead connection is
reported by /readyz and reconnected. A local aiohttp websocket server stands in for Slack's."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from bot import slack_socket
from tests.fakes import slack_payloads as payloads
from tests.slack_support import (
    OPERATOR,
    FakeSlackHooks,
    running,
    slack_services,
    stored_events,
    wait_until,
)

APP_TOKEN = "xapp-1-A0FAKEAPP-test"


class SocketStandIn:
    """Slack's Socket Mode endpoint: sends envelopes, records acknowledgements."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.accepting = True
        self.connections = 0
        self.acks: list[dict[str, Any]] = []
        self._sockets: list[web.WebSocketResponse] = []

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.sock.getsockname()[1]}/link/?ticket=t"

    def start(self) -> SocketStandIn:
        self.thread.start()
        self._run(self._serve())
        return self

    def stop(self) -> None:
        self._run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def send(self, envelope: dict[str, Any]) -> None:
        self._run(self._sockets[-1].send_str(json.dumps(envelope)))

    def drop(self) -> None:
        """Close every open connection (a network blip, a Slack restart)."""
        self._run(self._close_all())

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(5)

    async def _close_all(self) -> None:
        for ws in self._sockets:
            await ws.close()

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._connect)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.SockSite(self.runner, self.sock).start()

    async def _connect(self, request: web.Request) -> web.StreamResponse:
        if not self.accepting:
            return web.Response(status=503)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        self.connections += 1
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.acks.append(json.loads(message.data))
        return ws


def events_api(envelope_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id,
        "type": "events_api",
        "payload": payload,
        "accepts_response_payload": False,
        "retry_attempt": 0,
        "retry_reason": "",
    }


@pytest.fixture
def server() -> Iterator[SocketStandIn]:
    stand_in = SocketStandIn().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def fast_watchdog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slack_socket, "CHECK_EVERY", 0.1)
    monkeypatch.setattr(slack_socket, "PING_INTERVAL", 0.5)
    monkeypatch.setattr(slack_socket, "CONNECT_TIMEOUT", 2.0)


@contextmanager
def connected(db, server: SocketStandIn) -> Iterator[tuple[FakeSlackHooks, Any, Any]]:  # type: ignore[no-untyped-def]
    """The web app in Socket Mode, connected to the stand-in: (fake Slack, client, adapter)."""
    with FakeSlackHooks() as slack:
        slack.socket_url = server.url
        svc = slack_services(db, slack, SLACK_APP_TOKEN=APP_TOKEN)
        with running(svc) as client:
            adapter = client.app.state.platforms.slack
            wait_until(lambda: server.connections == 1 and not adapter.problems(), 10)
            yield slack, client, adapter


def test_an_event_over_the_socket_is_stored_acknowledged_and_answered(
    db, server, fast_watchdog
) -> None:  # type: ignore[no-untyped-def]
    """Socket Mode: the envelope is acknowledged once stored; the reply is posted."""
    with connected(db, server) as (slack, client, _):
        assert client.get("/readyz").status_code == 200
        dm = slack.add_im(OPERATOR)
        ts = slack.add_message(dm, "flights to lisbon in march?", user=OPERATOR)
        event = payloads.message_im("flights to lisbon in march?", user=OPERATOR, channel=dm, ts=ts)
        server.send(events_api("env-1", event))
        wait_until(lambda: {"envelope_id": "env-1"} in server.acks, what="the ack")
        wait_until(lambda: len(slack.messages(dm)) == 2, what="the threaded reply")
        assert "travel" in slack.messages(dm)[1]["text"]
        assert stored_events(db) == 1
        calls = slack.calls("apps.connections.open")
        assert calls and all(APP_TOKEN in c.headers["authorization"] for c in calls)


def test_a_dead_connection_is_reported_until_it_is_back(db, server, fast_watchdog) -> None:  # type: ignore[no-untyped-def]
    """While Slack refuses new connections /readyz is 503 naming the socket; then 200."""
    with connected(db, server) as (_, client, adapter):
        server.accepting = False
        server.drop()
        wait_until(lambda: adapter.problems() == [slack_socket.NOT_CONNECTED], 10)
        readiness = client.get("/readyz")
        assert readiness.status_code == 503
        assert slack_socket.NOT_CONNECTED in readiness.json()["problems"]
        server.accepting = True
        wait_until(lambda: server.connections >= 2 and not adapter.problems(), 15)
        assert client.get("/readyz").status_code == 200


def test_the_watchdog_reconnects_when_the_client_gave_up_silently(
    db, server, fast_watchdog
) -> None:  # type: ignore[no-untyped-def]
    """slack_sdk's own reconnect is off (its monitor died): the watchdog opens a new one."""
    with connected(db, server) as (slack, _, adapter):
        sdk_client = adapter.socket.handler.client
        sdk_client.auto_reconnect_enabled = sdk_client.default_auto_reconnect_enabled = False
        server.drop()
        wait_until(lambda: server.connections == 2 and not adapter.problems(), 15)
        assert adapter.socket.reconnects == 1
        assert len(slack.calls("apps.connections.open")) == 2
