"""POST /slack/events, plain `message` events: stored without bolt's dispatch (issue 15), with
the same signature check, replay window, dedupe and answers as bolt's path; everything else
(url_verification, ssl_check, commands, clicks, other events) still goes through bolt."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.slack_events import plain_message
from jobs.queue import SyncJobQueue
from orchestrator.models import InboundEventRow
from tests.fakes import slack_payloads as payloads
from tests.slack_support import (
    OPERATOR,
    FakeSlackHooks,
    post_form,
    post_json,
    running,
    signed,
    slack_services,
    stored_events,
    wait_until,
)

BOT = payloads.BOT_USER_ID
JSON = "application/json"


class HeldQueue(SyncJobQueue):
    """Keeps the jobs asked for (nothing runs): what the edge queued, and how often."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[tuple[str, dict[str, Any]]] = []

    def enqueue(self, name: str, *, job_id: str, delay: float = 0, **kwargs: Any) -> None:
        self.held.append((name, kwargs))


class Edge:
    """The web app over a FakeSlack, the bot's identity known (so the plain-message path is
    open), and a count of the requests bolt dispatched."""

    def __init__(self, slack: FakeSlackHooks, svc: Any, client: Any, queue: HeldQueue) -> None:
        self.slack, self.svc, self.client, self.queue = slack, svc, client, queue
        self.adapter = client.app.state.platforms.slack
        wait_until(lambda: self.adapter.identity.result is not None, what="auth.test answered")
        self.through_bolt: list[object] = []
        dispatch = self.adapter.app.async_dispatch

        async def counted(request: object) -> object:
            self.through_bolt.append(request)
            return await dispatch(request)

        self.adapter.app.async_dispatch = counted

    def dm(self, text: str = "flights to lisbon?", **kw: Any) -> dict[str, Any]:
        channel = self.slack.add_im(OPERATOR)
        ts = self.slack.add_message(channel, text, user=OPERATOR)
        return payloads.message_im(text, user=OPERATOR, channel=channel, ts=ts, **kw)

    def post(self, payload: dict[str, Any], **headers: str) -> Any:
        body = payloads.json_body(payload)
        return self.client.post("/slack/events", content=body, headers={**signed(body), **headers})


@pytest.fixture
def edge(db) -> Iterator[Edge]:  # type: ignore[no-untyped-def]
    with FakeSlackHooks() as slack:
        queue = HeldQueue()
        svc = slack_services(db, slack, queue=queue)
        with running(svc) as client:
            yield Edge(slack, svc, client, queue)


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


# -- which requests take the plain-message path ----------------------------------------------
def test_only_a_well_formed_message_callback_in_json_is_taken_off_bolt() -> None:
    dm = payloads.message_im("hi", user=OPERATOR, channel="D0FAKEDM1")
    assert plain_message(body_of(dm), JSON) == dm
    assert plain_message(body_of(dm), "application/json; charset=utf-8") == dm
    channel = payloads.message_channels("hi", user=OPERATOR, channel="C0FAKE001")
    assert plain_message(body_of(channel), JSON) == channel
    for payload in (
        payloads.url_verification("c-1"),
        payloads.app_mention(f"<@{BOT}> hi", user=OPERATOR, channel="C0FAKE001"),
        payloads.envelope({"type": "app_home_opened", "user": OPERATOR, "tab": "home"}),
        payloads.envelope({"type": "reaction_added", "user": OPERATOR}),
        {**dm, "event": {**dm["event"], "text": 5}},  # a shape bolt's path refuses (400)
        {**dm, "event": "message"},
        {**dm, "type": "event_callback2"},
    ):
        assert plain_message(body_of(payload), JSON) is None, payload
    assert plain_message(body_of(dm), "application/x-www-form-urlencoded") is None
    assert plain_message(payloads.form_body(dm), "application/x-www-form-urlencoded") is None
    assert plain_message(b"ssl_check=1&token=x", "application/x-www-form-urlencoded") is None
    assert plain_message(b"\xff\xfe{", JSON) is None
    assert plain_message(b"[" * 100_000, JSON) is None
    assert plain_message(b"", JSON) is None


# -- the path itself, against the real app -----------------------------------------------------
def test_a_dm_is_stored_and_queued_before_the_200_without_bolt(edge, db) -> None:  # type: ignore[no-untyped-def]
    payload = edge.dm()
    response = edge.post(payload)
    assert (response.status_code, response.text) == (200, "")
    assert stored_events(db) == 1
    assert [name for name, _ in edge.queue.held] == ["process_event"]
    assert edge.through_bolt == []
    with db.session() as s:
        row = s.scalars(select(InboundEventRow)).one()
    assert row.external_id == payload["event_id"]
    assert row.payload["is_direct"] and row.payload["text"] == "flights to lisbon?"


def test_everything_else_still_goes_through_bolt(edge, db) -> None:  # type: ignore[no-untyped-def]
    """url_verification, a mention, a slash command, an unused event: bolt answers each."""
    answer = edge.post(payloads.url_verification("c-123"))
    assert answer.status_code == 200 and answer.json() == {"challenge": "c-123"}
    channel = edge.slack.add_channel("pos-travel")
    mention = payloads.app_mention(f"<@{BOT}> hotel in porto?", user=OPERATOR, channel=channel)
    assert edge.post(mention).status_code == 200
    command = payloads.slash_command("status", user_id=OPERATOR, channel_id=channel)
    assert post_form(edge.client, command).status_code == 200
    reaction = payloads.envelope({"type": "reaction_added", "user": OPERATOR, "reaction": "+1"})
    assert post_json(edge.client, reaction).status_code == 200
    assert len(edge.through_bolt) == 4
    assert stored_events(db) == 2  # the mention and the command


def test_a_replayed_event_id_and_slacks_retries_are_stored_and_queued_once(edge, db) -> None:  # type: ignore[no-untyped-def]
    """Slack's retries (X-Slack-Retry-Num 1-3, a reason) carry the same event_id: each is
    acknowledged (so Slack stops), none is stored or queued again."""
    payload = edge.dm()
    assert edge.post(payload).status_code == 200
    for attempt in ("1", "2", "3"):
        retry = edge.post(
            payload, **{"X-Slack-Retry-Num": attempt, "X-Slack-Retry-Reason": "http_timeout"}
        )
        assert (retry.status_code, retry.text) == (200, "")
    assert edge.post(payload).status_code == 200  # a plain replay, signed anew
    assert stored_events(db) == 1
    assert len(edge.queue.held) == 1
    assert edge.through_bolt == []


@pytest.mark.parametrize(
    "signing",
    ["unsigned", "wrong-secret", "stale", "future", "garbage-timestamp", "body-changed"],
)
def test_the_signature_and_its_five_minute_window_hold(edge, db, signing: str) -> None:  # type: ignore[no-untyped-def]
    """A message callback that is not signed by Slack within 5 minutes (either way): 401,
    nothing stored, nothing queued, bolt never sees it."""
    body = payloads.json_body(edge.dm())
    headers = {"Content-Type": JSON}
    if signing == "wrong-secret":
        headers |= signed(body, secret="not-the-secret")
    elif signing == "stale":
        headers |= signed(body, timestamp=int(time.time()) - 5 * 60 - 30)
    elif signing == "future":
        headers |= signed(body, timestamp=int(time.time()) + 5 * 60 + 30)
    elif signing == "garbage-timestamp":
        headers |= {**signed(body), "X-Slack-Request-Timestamp": "12e9"}
    elif signing == "body-changed":
        headers |= signed(body)
        body = body.replace(b"lisbon", b"london")
    response = edge.client.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 401
    assert stored_events(db) == 0 and edge.queue.held == [] and edge.through_bolt == []


def test_a_message_just_inside_the_window_is_taken(edge, db) -> None:  # type: ignore[no-untyped-def]
    body = payloads.json_body(edge.dm())
    headers = signed(body, timestamp=int(time.time()) - 5 * 60 + 30)
    assert edge.client.post("/slack/events", content=body, headers=headers).status_code == 200
    assert stored_events(db) == 1


def test_a_signed_message_without_an_event_id_gets_400_no_retry(edge, db) -> None:  # type: ignore[no-untyped-def]
    payload = edge.dm()
    del payload["event_id"]
    response = edge.post(payload)
    assert response.status_code == 400
    assert response.headers.get("x-slack-no-retry") == "1"
    assert stored_events(db) == 0 and edge.through_bolt == []
    assert edge.svc.skipped.counts()


def test_the_bots_own_and_other_bots_messages_are_acknowledged_not_stored(edge, db) -> None:  # type: ignore[no-untyped-def]
    own = edge.dm()
    own["event"]["user"] = BOT
    other = edge.dm()
    other["event"]["bot_id"] = "B0OTHER"
    edited = edge.dm()
    edited["event"]["subtype"] = "message_changed"
    for payload in (own, other, edited):
        assert edge.post(payload).status_code == 200
    assert stored_events(db) == 0 and edge.queue.held == [] and edge.through_bolt == []


def test_a_storage_failure_gets_503_so_slack_retries(edge, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def down(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT", {}, ConnectionError("database is down"))

    monkeypatch.setattr("bot.intake.store_events", down)
    payload = edge.dm()
    response = edge.post(payload)
    assert response.status_code == 503
    assert "x-slack-no-retry" not in response.headers
    assert "database is down" not in response.text
    monkeypatch.undo()
    assert edge.post(payload, **{"X-Slack-Retry-Num": "1"}).status_code == 200  # the retry
    assert stored_events(db) == 1


def test_a_stranger_is_acknowledged_and_ignored(edge, db) -> None:  # type: ignore[no-untyped-def]
    payload = edge.dm()
    payload["event"]["user"] = "U0STRANGER"
    assert edge.post(payload).status_code == 200
    assert stored_events(db) == 0


def test_the_ack_never_waits_for_users_info(edge, db) -> None:  # type: ignore[no-untyped-def]
    """Slack's 3 seconds: the request makes no Web API call at all (names are the worker's)."""
    edge.slack.add_user("Ana Operator", user_id=OPERATOR)
    before = len(edge.slack.calls("users.info"))
    assert edge.post(edge.dm(f"with <@{OPERATOR}>")).status_code == 200
    assert len(edge.slack.calls("users.info")) == before == 0
    with db.session() as s:
        (row,) = s.scalars(select(InboundEventRow)).all()
    assert row.payload["user_name"] is None and f"<@{OPERATOR}>" in row.payload["text"]
