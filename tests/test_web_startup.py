"""Start-up says where to go; the page's routine polling stays out of the info-level log."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from bot.web import create_app
from tests.helpers import LocalClient, make_services
from tests.slack_support import wait_until


def test_start_up_prints_the_url_to_open(db, capsys):
    """The web process's first words: the address to open (PORT), and with PUBLIC_URL and
    operators, how to sign in from elsewhere."""
    with LocalClient(create_app(make_services(db, senders=None, PORT="8123"))):
        pass
    assert "ParallelOS is up: open http://localhost:8123/" in capsys.readouterr().out
    svc = make_services(
        db, senders=None, PUBLIC_URL="https://pos.example.com", PARALLELOS_OPERATORS="slack:U1"
    )
    with LocalClient(create_app(svc)):
        pass
    out = capsys.readouterr().out
    assert "open http://localhost:8000/" in out and "https://pos.example.com/" in out
    assert "`login`" in out


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def serving(app: object, level: str) -> Iterator[tuple[str, Lines]]:
    """A real uvicorn on loopback with its own logging set-up, and its access lines."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level=level))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    lines = Lines()
    try:
        wait_until(lambda: server.started, timeout=30, what="uvicorn started")
        logging.getLogger("uvicorn.access").addHandler(lines)
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}", lines
    finally:
        logging.getLogger("uvicorn.access").removeHandler(lines)
        server.should_exit = True
        thread.join(timeout=30)


def poll_and_post(url: str) -> None:
    with httpx.Client(base_url=url, headers={"Host": "localhost:8000"}) as web:
        for _ in range(3):
            assert web.get("/api/chat/messages?after=0").status_code == 200
            assert web.get("/api/dashboard").status_code == 200
        token = web.get("/api/csrf").json()["csrf"]
        sent = web.post("/api/chat", json={"text": "hi"}, headers={"X-CSRF-Token": token})
        assert sent.status_code == 200
        assert web.get("/api/dashboard", headers={"Host": "attacker.example"}).status_code == 403


def test_polling_is_not_logged_at_info_but_changes_and_refusals_are(db):
    """At info: the POST and the refused GET are logged, the page's polls are not."""
    with serving(create_app(make_services(db, senders=None)), "info") as (url, lines):
        poll_and_post(url)
        wait_until(lambda: any('" 403' in line for line in lines.lines), what="the 403 logged")
    logged = "\n".join(lines.lines)
    assert "POST /api/chat HTTP" in logged and 'GET /api/dashboard HTTP/1.1" 403' in logged
    assert "/api/chat/messages" not in logged and "/api/csrf" not in logged
    assert '/api/dashboard HTTP/1.1" 200' not in logged


def test_a_sign_in_links_token_is_not_logged(db):
    """Opening `/login/<token>` is logged without the token."""
    with serving(create_app(make_services(db, senders=None)), "info") as (url, lines):
        token = "A" * 43
        assert httpx.get(f"{url}/login/{token}", headers={"Host": "localhost"}).status_code == 403
        wait_until(lambda: any("/login/" in line for line in lines.lines), what="logged")
    assert token not in "\n".join(lines.lines)


def test_polling_is_logged_at_debug(db):
    """`--log-level debug` shows every request again."""
    with serving(create_app(make_services(db, senders=None)), "debug") as (url, lines):
        poll_and_post(url)
        wait_until(lambda: any("/api/chat/messages" in line for line in lines.lines))
