"""Socket Mode with a watchdog: a dead connection is reported, logged and reconnected.

slack_sdk's client reconnects by itself, but its monitor can die silently, and its retry loop
keeps reusing a websocket URL that may have expired (PEERS: python-slack-sdk #1701). The
watchdog checks the connection every few seconds; while it is down `problems()` names it for
/readyz. It makes the first connection, and when a lost one is still down after slack_sdk's
own staleness limit (4 pings) it opens a fresh one itself (a new URL from
apps.connections.open), backing off exponentially and logging every attempt.
"""

from __future__ import annotations

import asyncio
import logging
import time

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

log = logging.getLogger(__name__)

CHECK_EVERY = 5.0  # seconds between watchdog checks
PING_INTERVAL = 10.0  # slack_sdk's websocket ping interval
CONNECT_TIMEOUT = 30.0  # one connection attempt at most
BACKOFF_CAP = 60.0
NOT_CONNECTED = "slack socket mode is not connected"


class SocketMode:
    def __init__(
        self,
        app: AsyncApp,
        app_token: str,
        *,
        check_every: float | None = None,
        ping_interval: float | None = None,
    ) -> None:
        self.app = app
        self.app_token = app_token
        self.check_every = check_every or CHECK_EVERY
        self.ping_interval = ping_interval or PING_INTERVAL
        self.handler: AsyncSocketModeHandler | None = None
        self.grace = self.ping_interval * 4  # slack_sdk's own staleness limit
        self.reconnects = 0  # lost connections the watchdog itself replaced
        self._ever = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Create the client (it needs a running loop) and let the watchdog connect it."""
        self.handler = AsyncSocketModeHandler(
            self.app, self.app_token, ping_interval=self.ping_interval
        )
        self._task = asyncio.create_task(self._watch(), name="slack-socket-watchdog")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.handler is not None:
            await self.handler.close_async()

    def connected(self) -> bool:
        client = self.handler.client if self.handler else None
        if client is None or client.closed or client.stale or client.current_session is None:
            return False
        if client.current_session.closed:
            return False
        last = client.last_ping_pong_time
        return last is None or time.time() - last < client.ping_interval * 4

    def problems(self) -> list[str]:
        return [] if self.connected() else [NOT_CONNECTED]

    async def _watch(self) -> None:
        down_since: float | None = None
        attempt = 0
        while True:
            if self.connected():
                if down_since is not None:
                    log.info("slack socket mode connected")
                down_since, attempt, self._ever = None, 0, True
                await asyncio.sleep(self.check_every)
                continue
            if down_since is None:
                down_since = time.monotonic()
                if self._ever:
                    log.warning("slack socket mode connection lost")
            if self._ever and time.monotonic() - down_since < self.grace:
                await asyncio.sleep(self.check_every)  # slack_sdk's own reconnect goes first
                continue
            attempt += 1
            if self._ever:
                self.reconnects += 1
            log.warning("slack socket mode: connecting (attempt %d)", attempt)
            await self._connect()
            if not self.connected():
                await asyncio.sleep(min(BACKOFF_CAP, self.check_every * 2 ** (attempt - 1)))

    async def _connect(self) -> None:
        assert self.handler is not None
        client = self.handler.client
        try:
            await asyncio.wait_for(
                client.connect_to_new_endpoint(force=True), max(CONNECT_TIMEOUT, self.check_every)
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # network, invalid token, Slack down: try again later
            log.warning("slack socket mode connection failed: %s", type(exc).__name__)
