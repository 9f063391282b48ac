"""The dashboard's views through the real web app: a browser on this machine (CSRF sent),
the buttons a page shows, and clicking them as the page does (POST /api/chat/click)."""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from bot.web import create_app
from orchestrator.db import Database
from tests.helpers import LocalClient, make_services
from tests.slack_support import wait_until

BUTTON = re.compile(r'<button[^>]*\bid="(act-[^"]+)"[^>]*hx-vals=\'([^\']*)\'', re.S)


def web(db: Database, **env: Any) -> LocalClient:
    return LocalClient(create_app(make_services(db, senders=None, **env)))


def buttons(page: str) -> dict[str, dict[str, str]]:
    """The page's buttons by their stable id: the JSON each posts to /api/chat/click."""
    return {bid: json.loads(html.unescape(vals)) for bid, vals in BUTTON.findall(page)}


def click(client: LocalClient, page: str, button_id: str) -> str:
    """Press a button as the page does; the notice the page then shows (its answer)."""
    answer = client.post("/api/chat/click", json=buttons(page)[button_id])
    assert answer.status_code == 200, answer.text
    event = answer.json()["event_id"]
    notice = client.get(f"/dashboard/answer/{event}?part=live")
    assert notice.status_code == 200
    return re.sub(r"<[^>]+>", "", notice.text).strip()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The real web app under uvicorn on a free loopback port (for the event stream)."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=30, what="uvicorn started")
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
