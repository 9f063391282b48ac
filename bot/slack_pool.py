"""Slack Web API calls over kept-alive connections, for the sync code that makes them (issue 15).

slack_sdk's sync `WebClient` opens a new connection for every call (`urllib.request.urlopen`);
its `AsyncWebClient` takes an `aiohttp.ClientSession`, whose connector keeps connections open
between calls. `PooledWebClient` is a `WebClient` whose `api_call` (which every method helper
goes through) runs the same call on an `AsyncWebClient` with such a session, on one event loop
that a `SlackLoop` runs on a daemon thread; the caller waits for the answer as before.

- Answers and `SlackApiError`s are the sync client's: a `SlackResponse` (headers as a dict).
- Failures keep the two kinds `bot.slack_calls` tells apart: aiohttp's `ClientConnectorError`
  (refused, DNS) and `ConnectionTimeoutError` mean the request never left; a read timeout,
  `ServerDisconnectedError` or a reset mean it may have landed. aiohttp resends on a stale
  kept-alive connection only for idempotent methods (RFC 9112 §9.3.1), never a POST.
- Idle connections are dropped after `KEEPALIVE` seconds, before a server's own idle timeout
  could close one under a request.
- After a fork the child starts its own loop and session (the parent's thread is not there).
  `close()` closes the sessions and stops the thread; so does the garbage collector or the
  interpreter's exit for a loop nobody closed (no "Unclosed client session" warnings).

Not through the pool: slack_sdk's `files_upload_v2` upload step (the upload URL, `_upload_file`)
and `for page in response` pagination, which the sync client does with urllib itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import weakref
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from ssl import SSLContext
from typing import Any, TypeVar

import aiohttp
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from slack_sdk.web.async_client import AsyncWebClient

T = TypeVar("T")
# slack_sdk formats a debug line of every request and answer (parameters, headers, body) when
# its logger's own level is NOTSET or DEBUG, whether or not anything would print it: its
# clients log here, at INFO unless someone asks for DEBUG.
SDK_LOG = logging.getLogger(__name__ + ".sdk")
if SDK_LOG.level == logging.NOTSET:
    SDK_LOG.setLevel(logging.INFO)
KEEPALIVE = 15.0  # seconds an idle connection stays open (aiohttp's default, said out loud)
CLOSE_WAIT = 5.0  # seconds close() waits for the sessions to close


@dataclass
class _Running:
    """One loop on its thread and the clients (with their sessions) made on it."""

    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    clients: dict[tuple[str | None, str, int], AsyncWebClient] = field(default_factory=dict)

    def stop(self) -> None:
        """Close every session, then stop the loop and wait for its thread."""
        if self.loop.is_closed():
            return
        if self.thread.is_alive():
            sessions = [c.session for c in self.clients.values() if c.session is not None]
            self.clients = {}
            closing = asyncio.run_coroutine_threadsafe(_close_all(sessions), self.loop)
            with contextlib.suppress(Exception):  # best effort: the loop stops regardless
                closing.result(CLOSE_WAIT)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(CLOSE_WAIT)
        if not self.thread.is_alive():
            self.loop.close()


async def _close_all(sessions: list[aiohttp.ClientSession]) -> None:
    await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)


class SlackLoop:
    """An event loop on a daemon thread for this process's Slack calls; thread-safe."""

    def __init__(self, *, name: str = "slack-web") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._running: _Running | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._pid = 0

    def run(self, make: Callable[[_Running], Coroutine[Any, Any, T]]) -> T:
        """Run `make(running)` on the loop and wait for its result (the loop's own timeouts
        bound the wait: `PooledWebClient`'s session has connect and read timeouts)."""
        running = self._ensure()
        return asyncio.run_coroutine_threadsafe(make(running), running.loop).result()

    def close(self) -> None:
        with self._lock:
            finalizer, self._finalizer, self._running = self._finalizer, None, None
        if finalizer is not None:
            finalizer()  # runs _Running.stop once

    @property
    def thread(self) -> threading.Thread | None:
        """The loop's thread while it runs (benchmarks read its CPU clock)."""
        running = self._running
        return running.thread if running is not None else None

    def _ensure(self) -> _Running:
        with self._lock:
            if self._running is not None and self._pid == os.getpid():
                return self._running
            if self._finalizer is not None:  # the parent's loop: its thread is not here
                self._finalizer.detach()
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name=self.name, daemon=True)
            thread.start()
            self._running = _Running(loop, thread)
            self._finalizer = weakref.finalize(self, _Running.stop, self._running)
            self._pid = os.getpid()
            return self._running


class PooledWebClient(WebClient):
    """A sync `WebClient` whose calls reuse connections (see the module's note)."""

    def __init__(
        self,
        *,
        token: str | None,
        base_url: str,
        timeout: int,
        transport: SlackLoop | None = None,
        ssl: SSLContext | None = None,
    ) -> None:
        super().__init__(token=token, base_url=base_url, timeout=timeout, retry_handlers=[],
                         logger=SDK_LOG, ssl=ssl)  # fmt: skip
        self.transport = transport or SlackLoop()

    def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> SlackResponse:
        async def on_loop(running: _Running) -> SlackResponse:
            client = self._async_client(running)
            try:
                answer = await client.api_call(
                    api_method, http_verb=http_verb, files=files, data=data, params=params,
                    json=json, headers=headers, auth=auth,
                )  # fmt: skip
            except SlackApiError as exc:
                sync = self._sync(exc.response)
                raise SlackApiError(f"The request to the Slack API failed. (url: {sync.api_url})",
                                    sync) from None  # fmt: skip
            return self._sync(answer)

        return self.transport.run(on_loop)

    def _async_client(self, running: _Running) -> AsyncWebClient:
        """This client's twin on the running loop, made there on first use (one session per
        token, address and timeout; a session is made inside its loop)."""
        key = (self.token, self.base_url, int(self.timeout))
        found = running.clients.get(key)
        if found is None:
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE),
                timeout=aiohttp.ClientTimeout(
                    total=2 * self.timeout, connect=self.timeout, sock_read=self.timeout
                ),
            )
            found = AsyncWebClient(
                token=self.token,
                base_url=self.base_url,
                timeout=int(self.timeout),
                session=session,
                headers=dict(self.headers),
                ssl=self.ssl,
                logger=SDK_LOG,
                retry_handlers=[],  # a resend after a lost answer would post twice
            )
            running.clients[key] = found
        return found

    def _sync(self, answer: Any) -> SlackResponse:
        return SlackResponse(
            client=self,
            http_verb=answer.http_verb,
            api_url=answer.api_url,
            req_args=answer.req_args,
            data=answer.data,
            headers=dict(answer.headers or {}),
            status_code=answer.status_code,
        )
