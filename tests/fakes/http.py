"""The shared part of the platform stand-ins: a real local HTTP server that records requests.

`FakeHTTPServer` runs `ThreadingHTTPServer` on 127.0.0.1 (a free port) in a daemon thread,
speaks HTTP/1.1 with kept-alive connections as the real APIs do (every answer has its
Content-Length; an event stream closes its connection; `connections` counts the connections
accepted; `stop()` closes the open ones, so a stopped stand-in answers nothing), parses every request (query string, JSON, form or multipart body), lets a subclass answer it,
and records a `Call`. Tests script failures (`_script`), slow answers (`set_delay`) and slow
effects (`hold_next`) per API method, and wait for calls with a deadline (`wait_for`), never
with a blind sleep.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

DEFAULT_WAIT = 5.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """One HTTP answer: status, JSON body, extra headers; `raw` bytes instead (a file);
    `events` instead: a server-sent event stream of (event, data), written one by one, `gap`
    seconds apart, which stops for `pause` seconds after `pause_after` events (a model that
    hangs mid-answer)."""

    body: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    events: tuple[tuple[str, dict[str, Any]], ...] | None = None
    pause_after: int = -1
    pause: float = 0.0
    gap: float = 0.0  # seconds between two events (a model writing at its own pace)


@dataclass(frozen=True)
class Call:
    """One request the stand-in received, with what it answered."""

    method: str  # the API method, e.g. "chat.postMessage" / "sendMessage"
    params: dict[str, Any]  # query and body parameters, merged (body wins)
    headers: dict[str, str]  # lower-cased names
    body: bytes
    http_method: str
    path: str
    status: int
    response: dict[str, Any]
    at: float = 0.0  # time.monotonic() when it was answered (orders calls across stand-ins)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))


def parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    """Parameters from a JSON, form-encoded or multipart body ({} for an empty one)."""
    if not body:
        return {}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        data = json.loads(body)
        return data if isinstance(data, dict) else {"_json": data}
    if kind == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        return {
            part.get_param("name", header="content-disposition"): part.get_content()
            for part in message.iter_parts()
        }
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def _read_chunked(stream: Any) -> bytes:
    """A chunked request body (a kept-alive connection must be read to its end)."""
    parts = []
    while True:
        size = int(stream.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:  # then trailer lines, none of which the fake reads, up to a blank one
            line = stream.readline()
            while line not in (b"\r\n", b"\n", b""):
                line = stream.readline()
            return b"".join(parts)
        parts.append(stream.read(size))
        stream.readline()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive: one connection serves many requests
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stall

    def setup(self) -> None:
        super().setup()
        self.server.fake._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._closed(self.connection)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.fake._serve(self)

    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silence the default stderr access log."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeHTTPServer) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)


class FakeHTTPServer:
    """Base of FakeSlack and FakeTelegram: lifecycle, recording, scripting, waiting."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)  # notified on every call and update
        self._calls: list[Call] = []
        self._failures: dict[str, deque[Reply]] = defaultdict(deque)
        self._delays: dict[str, float] = {}
        self._holds: dict[str, deque[float]] = defaultdict(deque)
        self._storms: dict[str, tuple[float, Reply]] = {}  # method -> (until, its answer)
        self._stopping = threading.Event()
        self._open: set[socket.socket] = set()  # connections being served
        self.connections = 0  # connections accepted since the start
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------------------
    def start(self) -> Self:
        if self._server is None:
            self._stopping.clear()
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.02},  # how long stop() waits for the loop
                name=type(self).__name__,
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()  # wake long polls
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            still_open, self._open = list(self._open), set()
        for conn in still_open:  # kept-alive clients: a stopped stand-in answers nothing
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def _opened(self, conn: socket.socket) -> None:
        with self._lock:
            self._open.add(conn)
            self.connections += 1

    def _closed(self, conn: socket.socket) -> None:
        with self._lock:
            self._open.discard(conn)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:PORT` (the server must be started)."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # recording -------------------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls, oldest first; only `method`'s when given."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def last(self, method: str) -> Call:
        """The latest call of `method` (AssertionError when there is none)."""
        found = self.calls(method)
        assert found, f"no {method} call; received: {self._summary()}"
        return found[-1]

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = DEFAULT_WAIT) -> list[Call]:
        """Block until `count` calls of `method` were answered; AssertionError at the deadline."""
        with self._changed:
            done = self._changed.wait_for(lambda: len(self.calls(method)) >= count, timeout)
            if not done:
                raise AssertionError(
                    f"expected {count} {method} call(s) within {timeout}s; "
                    f"received: {self._summary()}"
                )
            return self.calls(method)

    def _summary(self) -> str:
        names = [f"{c.method}({c.status})" for c in self.calls()]
        return ", ".join(names) or "nothing"

    # scripting -------------------------------------------------------------------------
    def set_delay(self, method: str, seconds: float) -> None:
        """Answer `method` `seconds` late (after its effect is applied); 0 removes the delay."""
        with self._lock:
            if seconds > 0:
                self._delays[method] = seconds
            else:
                self._delays.pop(method, None)

    def hold_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Hold the next `times` calls of `method` `seconds` before handling them, so their
        effect lands as late as their answer (a slow platform, unlike `set_delay`)."""
        with self._lock:
            self._holds[method].extend([seconds] * times)

    def holds_left(self, method: str) -> int:
        """Holds of `method` not taken yet: 0 once every held call has arrived."""
        with self._lock:
            return len(self._holds[method])

    def storm(self, method: str, reply: Reply, seconds: float) -> None:
        """Answer every call of `method` with `reply` for the next `seconds` (an outage or a
        rate-limit storm measured in time, not in calls), leaving state unchanged."""
        with self._lock:
            self._storms[method] = (time.monotonic() + seconds, reply)

    def _script(self, method: str, reply: Reply, times: int) -> None:
        with self._lock:
            self._failures[method].extend([reply] * times)

    # serving ---------------------------------------------------------------------------
    def _route(self, path: str) -> str | None:
        """The API method a path names, or None (answered 404)."""
        raise NotImplementedError

    def _handle(
        self, method: str, params: dict[str, Any], headers: dict[str, str], path: str
    ) -> Reply:
        """Answer one call; runs with `self._lock` held."""
        raise NotImplementedError

    def _serve(self, request: _Handler) -> None:
        url = urlsplit(request.path)
        headers = {k.lower(): v for k, v in request.headers.items()}
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = _read_chunked(request.rfile)
        else:
            body = request.rfile.read(int(headers.get("content-length") or 0))
        method = self._route(url.path)
        with self._lock:
            holds = self._holds.get(method or "")
            hold = holds.popleft() if holds else 0.0
        if hold:
            self._stopping.wait(hold)
        try:
            params = dict(parse_qsl(url.query, keep_blank_values=True))
            params.update(parse_body(body, headers.get("content-type", "")))
        except ValueError:
            params, reply = {}, Reply({"ok": False, "error": "invalid_request_body"}, status=400)
        else:
            reply = self._answer(method, params, headers, url.path)
        with self._changed:
            if method is not None:
                call = Call(method, params, headers, body, request.command, url.path,
                            reply.status, reply.body, time.monotonic())  # fmt: skip
                self._calls.append(call)
            self._changed.notify_all()
            delay = self._delays.get(method or "", 0.0)
        if delay:
            self._stopping.wait(delay)
        self._write(request, reply)

    def _answer(
        self, method: str | None, params: dict[str, Any], headers: dict[str, str], path: str
    ) -> Reply:
        if method is None:
            return Reply({"ok": False, "error": "not_found"}, status=404)
        with self._lock:
            scripted = self._failures.get(method)
            if scripted:
                return scripted.popleft()
            storm = self._storms.get(method)
            if storm is not None and time.monotonic() < storm[0]:
                return storm[1]
            try:
                return self._handle(method, params, headers, path)
            except Exception as exc:  # a bug in the fake: answer 500 and name it
                log.exception("%s failed on %s", type(self).__name__, method)
                return Reply({"ok": False, "error": f"fake_crashed: {exc!r}"}, status=500)

    def _write(self, request: _Handler, reply: Reply) -> None:
        if reply.events is not None:
            self._write_events(request, reply)
            return
        data = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        kind = "application/octet-stream" if reply.raw is not None else "application/json"
        try:
            request.send_response(reply.status)
            request.send_header("Content-Type", f"{kind}; charset=utf-8")
            request.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a cancelled long poll, a killed sender)

    def _write_events(self, request: _Handler, reply: Reply) -> None:
        """`text/event-stream`, flushed event by event; the connection closes at the end."""
        assert reply.events is not None
        request.close_connection = True  # no Content-Length: the end of the body is the close
        try:
            request.send_response(reply.status)
            request.send_header("Content-Type", "text/event-stream; charset=utf-8")
            request.send_header("Cache-Control", "no-cache")
            request.send_header("Connection", "close")
            for name, value in reply.headers.items():
                request.send_header(name, value)
            request.end_headers()
            for n, (event, data) in enumerate(reply.events):
                if n == reply.pause_after and self._stopping.wait(reply.pause):
                    return  # the stand-in is stopping: the stream ends unfinished
                if n and reply.gap and self._stopping.wait(reply.gap):
                    return
                chunk = f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()
                request.wfile.write(chunk)
                request.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
