"""The MCP client side: one pool of server connections per process, on the official `mcp` SDK.

The SDK is asynchronous and the worker is not, so the pool runs one event loop on a thread of
its own; each server is one long-lived task that holds the SDK's `Client` open (a stdio
subprocess, or a streamable HTTP session) until it is stopped. A server starts lazily, on the
first call that needs it, and is reused across turns. A call that fails on a broken connection,
or runs past its time-out, stops that server's task (the subprocess with it): the next call
starts it afresh, so a server that died or hung is restarted and never stops the worker.
`close()` (also run at exit) stops them all.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
import time
from collections.abc import Coroutine, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, TypeVar

import mcp_types
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from orchestrator.charters import SETTING_REF, McpServerSpec

log = logging.getLogger(__name__)
T = TypeVar("T")
START_SECONDS = 20.0  # the longest a server may take to start and answer its handshake


class ToolServerError(Exception):
    """A server that cannot be reached, broke mid-call, or did not answer in time (`kind`:
    setting | start | broken | timeout). The message is fit for the operator: no secrets."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class ToolInfo:
    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class CallOutcome:
    text: str
    is_error: bool
    seconds: float


def resolve(text: str, env: Mapping[str, str], server: str) -> str:
    """`${SETTING}` references replaced from the environment; a missing one is an error."""

    def one(match: Any) -> str:
        value = env.get(match.group(1))
        if value is None:
            raise ToolServerError(
                "setting", f"tool server {server} needs the setting {match.group(1)} (not set)"
            )
        return value

    return SETTING_REF.sub(one, text)


def _target(spec: McpServerSpec, env: Mapping[str, str]) -> StdioServerParameters | str:
    if spec.url is not None:
        if spec.headers:
            raise ToolServerError("setting", f"tool server {spec.name}: headers need a stdio "
                                             "command or a URL without them")  # fmt: skip
        return resolve(spec.url, env, spec.name)
    assert spec.command is not None
    return StdioServerParameters(
        command=resolve(spec.command, env, spec.name),
        args=[resolve(a, env, spec.name) for a in spec.args],
        env={k: resolve(v, env, spec.name) for k, v in spec.env.items()},
        cwd=spec.cwd,
    )


def _text(result: mcp_types.CallToolResult) -> str:
    parts = []
    for block in result.content:
        if isinstance(block, mcp_types.TextContent):
            parts.append(block.text)
        else:
            parts.append(f"[{block.type} content]")
    return "\n".join(parts)


@dataclass
class _Server:
    spec: McpServerSpec
    client: Client | None = None
    task: asyncio.Task[None] | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Future[Client] | None = None
    tools: list[ToolInfo] | None = None


class ServerPool:
    """Every MCP server this process talks to, by (domain, server name)."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = env
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: dict[tuple[str, str], _Server] = {}
        self._lock = threading.Lock()

    # -- the sync API -----------------------------------------------------------------------
    def list_tools(self, domain: str, spec: McpServerSpec) -> list[ToolInfo]:
        """The server's tools (listed once per start of the server)."""
        return self._run(self._list(domain, spec), START_SECONDS + spec.timeout_seconds, spec)

    def call(
        self, domain: str, spec: McpServerSpec, tool: str, arguments: dict[str, Any]
    ) -> CallOutcome:
        """One tool call; raises ToolServerError when the server failed (not the tool)."""
        deadline = START_SECONDS + spec.timeout_seconds
        return self._run(self._call(domain, spec, tool, arguments), deadline, spec)

    def running(self) -> list[tuple[str, str]]:
        return [key for key, s in self._servers.items() if s.client is not None]

    def close(self) -> None:
        """Stop every server and the loop's thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with self._lock:
            self._loop = self._thread = None
        try:
            asyncio.run_coroutine_threadsafe(self._stop_all(), loop).result(timeout=10)
        except Exception:  # noqa: BLE001 - stopping at exit must not raise
            log.warning("tool servers did not stop cleanly")
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)

    # -- the loop's side --------------------------------------------------------------------
    def _run(self, coro: Coroutine[Any, Any, T], seconds: float, spec: McpServerSpec) -> T:
        loop = self._ensure_loop()
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result(timeout=seconds + 5)
        except FutureTimeout:
            future.cancel()
            raise ToolServerError(
                "timeout", f"tool server {spec.name} did not answer within {seconds:.0f} s"
            ) from None

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="mcp-pool", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    async def _client(self, domain: str, spec: McpServerSpec) -> _Server:
        key = (domain, spec.name)
        server = self._servers.get(key)
        if server is not None and server.spec != spec:  # the charter changed: a new server
            await self._stop(server)
            server = None
        if server is None or server.task is None or server.task.done():
            server = _Server(spec)
            server.ready = asyncio.get_running_loop().create_future()
            server.task = asyncio.create_task(self._hold(server), name=f"mcp-{domain}-{spec.name}")
            self._servers[key] = server
        assert server.ready is not None
        try:
            await asyncio.wait_for(asyncio.shield(server.ready), START_SECONDS)
        except TimeoutError:
            await self._stop(server)
            raise ToolServerError(
                "start", f"tool server {spec.name} did not start within {START_SECONDS:.0f} s"
            ) from None
        return server

    async def _hold(self, server: _Server) -> None:
        """Keep the server's connection open until asked to stop (or it breaks)."""
        spec = server.spec
        assert server.ready is not None
        try:
            target = _target(spec, self._env if self._env is not None else os.environ)
            async with Client(target, read_timeout_seconds=spec.timeout_seconds) as client:
                server.client = client
                server.ready.set_result(client)
                await server.stop.wait()
        except ToolServerError as exc:
            if not server.ready.done():
                server.ready.set_exception(exc)
        except BaseException as exc:  # noqa: BLE001 - a server's failure is reported, not raised
            log.warning("tool server %s stopped: %s", spec.name, type(exc).__name__)
            if not server.ready.done():
                server.ready.set_exception(
                    ToolServerError(
                        "start", f"tool server {spec.name} could not start ({_reason(exc)})"
                    )  # fmt: skip
                )
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            server.client = None

    async def _list(self, domain: str, spec: McpServerSpec) -> list[ToolInfo]:
        server = await self._client(domain, spec)
        if server.tools is None:
            assert server.client is not None
            try:
                listed = await asyncio.wait_for(server.client.list_tools(), spec.timeout_seconds)
            except BaseException as exc:
                await self._stop(server)
                raise _failure(spec, exc) from None
            server.tools = [
                ToolInfo(t.name, t.description or "", dict(t.input_schema)) for t in listed.tools
            ]
        return server.tools

    async def _call(
        self, domain: str, spec: McpServerSpec, tool: str, arguments: dict[str, Any]
    ) -> CallOutcome:
        server = await self._client(domain, spec)
        assert server.client is not None
        started = time.monotonic()
        try:
            result = await asyncio.wait_for(
                server.client.call_tool(tool, arguments), spec.timeout_seconds
            )
        except BaseException as exc:
            await self._stop(server)  # broken or hung: the next call starts it afresh
            raise _failure(spec, exc) from None
        return CallOutcome(_text(result), bool(result.is_error), time.monotonic() - started)

    async def _stop(self, server: _Server) -> None:
        server.stop.set()
        task = server.task
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), 5)
            except BaseException:  # noqa: BLE001 - it is going away either way
                task.cancel()
        for key, known in list(self._servers.items()):
            if known is server:
                del self._servers[key]

    async def _stop_all(self) -> None:
        for server in list(self._servers.values()):
            await self._stop(server)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return _reason(exc.exceptions[0])
    if isinstance(exc, FileNotFoundError | PermissionError):
        return f"{type(exc).__name__}: {exc.filename}"
    return type(exc).__name__


def _failure(spec: McpServerSpec, exc: BaseException) -> ToolServerError:
    if isinstance(exc, TimeoutError):
        return ToolServerError(
            "timeout", f"tool server {spec.name} did not answer within {spec.timeout_seconds:g} s"
        )
    return ToolServerError(
        "broken", f"tool server {spec.name} failed during the call ({_reason(exc)})"
    )


_shared: ServerPool | None = None
_shared_lock = threading.Lock()


def shared() -> ServerPool:
    """This process's pool, created on first use and stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ServerPool()
            atexit.register(_shared.close)
        return _shared
