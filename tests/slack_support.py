"""Shared set-up for the Slack tests: a FakeSlack that also takes response_url posts, services
wired to it, the web app with its lifespan, and signed deliveries."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.web import create_app
from jobs.queue import SyncJobQueue
from orchestrator.db import Database
from orchestrator.jobqueue import JobQueue
from orchestrator.models import InboundEventRow, OutboxRow
from orchestrator.services import Services
from tests.fakes import slack_payloads as payloads
from tests.fakes.http import Reply
from tests.fakes.slack_api import FakeSlack
from tests.helpers import make_services

TOKEN = "xoxb-test-token-0123456789"
SECRET = "test-signing-secret-0123456789"
OPERATOR = "U0OPER001"
STRANGER = "U0STRANGE"
HOOK = "response_url"  # the method name FakeSlackHooks records response_url posts under


class FakeSlackHooks(FakeSlack):
    """FakeSlack that also answers response_url posts (`/hooks/...`) and can hand out a
    Socket Mode websocket URL from `apps.connections.open`."""

    socket_url: str | None = None

    def hook_url(self, name: str = "cmd") -> str:
        return f"{self.origin}/hooks/{name}"

    def _route(self, path: str) -> str | None:
        return HOOK if path.startswith("/hooks/") else super()._route(path)

    def _handle(
        self, method: str, params: dict[str, Any], headers: dict[str, str], path: str
    ) -> Reply:
        if method == HOOK:
            return Reply({"ok": True})
        return super()._handle(method, params, headers, path)

    def _connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.socket_url} if self.socket_url else super()._connections_open(params)


def slack_services(
    db: Database, slack: FakeSlack, *, queue: JobQueue | None = None, **env: Any
) -> Services:
    """Services with the real SlackSender pointed at the fake; the operator may talk."""
    env.setdefault("PARALLELOS_OPERATORS", f"slack:{OPERATOR}")
    env.setdefault("SLACK_SIGNING_SECRET", SECRET)
    queue = queue or SyncJobQueue()
    return make_services(db, queue=queue, SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=slack.url, **env)


@contextmanager
def running(svc: Services) -> Iterator[TestClient]:
    """The web app with its lifespan running (the Slack adapter started)."""
    with TestClient(create_app(svc), raise_server_exceptions=False) as client:
        yield client


def post_json(client: TestClient, payload: dict[str, Any], **sign: Any) -> Any:
    body = payloads.json_body(payload)
    return client.post("/slack/events", content=body, headers=signed(body, **sign))


def post_form(client: TestClient, body: bytes, **sign: Any) -> Any:
    headers = signed(body, **sign)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return client.post("/slack/events", content=body, headers=headers)


def post_click(client: TestClient, payload: dict[str, Any], **sign: Any) -> Any:
    """Deliver a click (`block_actions`, form-encoded as Slack sends it), signed."""
    return post_form(client, payloads.form_body(payload), **sign)


def card_click(
    slack: FakeSlackHooks,
    message: dict[str, Any],
    action_id: str,
    *,
    user: str = OPERATOR,
    value: str | None = None,
    hook: str = "act",
) -> dict[str, Any]:
    """`user` presses the button `action_id` on the bot post `message` (its `channel` and
    `ts`): the `block_actions` payload, its value by default the part of the id after the colon,
    its response_url `slack.hook_url(hook)`."""
    return payloads.block_actions(
        action_id,
        action_id.split(":", 1)[1] if value is None else value,
        user=user,
        channel=message["channel"],
        message_ts=message["ts"],
        response_url=slack.hook_url(hook),
    )


def signed(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    return payloads.json_headers(body, secret, timestamp)


def count(db: Database, model: type) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def stored_events(db: Database) -> int:
    return count(db, InboundEventRow)


def outbox_rows(db: Database) -> list[OutboxRow]:
    with db.session() as s:
        return list(s.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
    """Poll `predicate` until true; AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what or predicate}")
        pause.wait(0.02)


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("text", "") for m in messages]
