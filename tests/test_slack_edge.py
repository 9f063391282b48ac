"""POST /slack/events: signatures, bad bodies, url_verification, acknowledgements, manifest."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.exc import OperationalError

from bot.intake import Intake
from jobs.queue import RQJobQueue
from orchestrator.ingest import store_events
from tests.fakes import slack_payloads as payloads
from tests.slack_support import (
    OPERATOR,
    FakeSlackHooks,
    card_click,
    post_form,
    post_json,
    running,
    signed,
    slack_services,
    stored_events,
    wait_until,
)

BOT = payloads.BOT_USER_ID
ROOT = Path(__file__).resolve().parent.parent


# -- POST /slack/events -----------------------------------------------------------------------
@pytest.fixture
def edge(db) -> Iterator[tuple[FakeSlackHooks, Any, Any]]:  # type: ignore[no-untyped-def]
    """The web app with Slack configured against a FakeSlack; the operator's DM exists."""
    with FakeSlackHooks() as slack:
        svc = slack_services(db, slack)
        with running(svc) as client:
            yield slack, svc, client


def dm_payload(slack: FakeSlackHooks, text: str = "hello", **kw: Any) -> dict[str, Any]:
    channel = slack.add_im(OPERATOR)
    ts = slack.add_message(channel, text, user=OPERATOR)
    return payloads.message_im(text, user=OPERATOR, channel=channel, ts=ts, **kw)


def test_a_signed_event_is_stored_and_acknowledged(edge, db) -> None:  # type: ignore[no-untyped-def]
    """200 with an empty body, and the event is in the database."""
    slack, _, client = edge
    response = post_json(client, dm_payload(slack))
    assert (response.status_code, response.text) == (200, "")
    assert stored_events(db) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": str(int(time.time()))},
        "wrong-secret",
        "stale",
        {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
    ],
    ids=["unsigned", "no-signature", "wrong-secret", "stale", "garbage-timestamp"],
)
def test_unsigned_forged_or_stale_requests_get_401(edge, db, headers) -> None:  # type: ignore[no-untyped-def]
    """No signature, a wrong one, or one older than 5 minutes: 401, nothing stored."""
    slack, _, client = edge
    body = payloads.json_body(dm_payload(slack))
    if headers == "wrong-secret":
        headers = signed(body, secret="not-the-secret")
    elif headers == "stale":
        headers = signed(body, timestamp=int(time.time()) - 301)
    response = client.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 401
    assert "Traceback" not in response.text
    assert stored_events(db) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b"\xff\xfe\x00",
        b"",
        json.dumps({"type": "event_callback", "event": "x", "event_id": "Ev9"}).encode(),
        json.dumps(
            {"type": "event_callback", "event": {"type": "message", "user": OPERATOR}}
        ).encode(),
    ],
    ids=["broken-json", "array", "not-utf8", "empty", "event-not-object", "event-without-ids"],
)
def test_signed_but_malformed_bodies_get_400(edge, db, body: bytes) -> None:  # type: ignore[no-untyped-def]
    """A malformed body with a valid signature: 400 and a no-retry hint, never a 500."""
    _, _, client = edge
    headers = {"Content-Type": "application/json", **signed(body)}
    response = client.post("/slack/events", content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers.get("x-slack-no-retry") == "1"
    assert "Traceback" not in response.text
    assert stored_events(db) == 0


def test_a_body_over_one_mebibyte_gets_413(edge, db) -> None:  # type: ignore[no-untyped-def]
    """Bodies over 1 MiB are refused before anything reads them."""
    _, _, client = edge
    body = b'{"type": "event_callback", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post("/slack/events", content=body, headers=signed(body))
    assert response.status_code == 413
    assert stored_events(db) == 0


def test_url_verification_echoes_the_challenge(edge) -> None:  # type: ignore[no-untyped-def]
    """Slack's endpoint check gets its challenge back."""
    _, _, client = edge
    response = post_json(client, payloads.url_verification("c-123"))
    assert response.status_code == 200 and response.json() == {"challenge": "c-123"}


def test_event_types_we_do_not_use_are_acknowledged(edge, db) -> None:  # type: ignore[no-untyped-def]
    """Unknown events and interactions get 200 (not 404, which Slack would retry)."""
    _, _, client = edge
    reaction = payloads.envelope({"type": "reaction_added", "user": OPERATOR, "reaction": "+1"})
    assert post_json(client, reaction).status_code == 200
    view = {"type": "view_submission", "user": {"id": OPERATOR}, "view": {"id": "V1"}}
    assert post_form(client, payloads.form_body(view)).status_code == 200
    assert stored_events(db) == 0


def test_storage_failure_gets_503_so_slack_retries(edge, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """If the event cannot be stored, Slack must not get a 2xx: it delivers it again."""
    slack, _, client = edge

    def down(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT", {}, ConnectionError("database is down"))

    monkeypatch.setattr("bot.intake.store_events", down)
    response = post_json(client, dm_payload(slack))
    assert response.status_code == 503
    assert "x-slack-no-retry" not in response.headers
    assert "database is down" not in response.text


# -- the app manifest -------------------------------------------------------------------------
def test_the_manifest_asks_for_what_the_bot_uses() -> None:
    """Events, scopes (FACTS §1.7), /pos and interactivity, all at /slack/events."""
    manifest = yaml.safe_load((ROOT / "docs" / "slack-app-manifest.yml").read_text())
    settings = manifest["settings"]
    events = set(settings["event_subscriptions"]["bot_events"])
    assert events == {
        "app_home_opened",
        "app_mention",
        "message.channels",
        "message.groups",
        "message.im",
        "message.mpim",
    }
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {
        "chat:write", "chat:write.public", "channels:manage", "groups:write", "channels:history",
        "groups:history", "im:history", "mpim:history", "app_mentions:read", "commands",
        "channels:read", "groups:read", "im:write", "users:read", "channels:join",
    } <= scopes  # fmt: skip
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/pos"
    urls = {
        command["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    }
    assert urls == {"https://YOUR-HOST/slack/events"} and settings["interactivity"]["is_enabled"]


# -- who the bot is (auth.test) -----------------------------------------------------------------
def test_an_event_arriving_while_auth_test_fails_gets_503_then_is_taken(db) -> None:  # type: ignore[no-untyped-def]
    """Slack must deliver it again (bolt's default would answer 200 and lose it)."""
    with FakeSlackHooks() as slack:
        slack.fail_next("auth.test", error="internal_error", times=2)
        with running(slack_services(db, slack)) as client:
            slack.wait_for("auth.test", 1)  # the start-up attempt failed
            payload = dm_payload(slack)
            assert post_json(client, payload).status_code == 503
            assert stored_events(db) == 0
            assert post_json(client, payload).status_code == 200
            assert stored_events(db) == 1
        assert len(slack.calls("auth.test")) == 3


def test_a_refused_bot_token_shows_in_readyz(db) -> None:  # type: ignore[no-untyped-def]
    """auth.test answering invalid_auth makes /readyz 503, naming it."""
    with FakeSlackHooks() as slack:
        slack.fail_next("auth.test", error="invalid_auth")
        with running(slack_services(db, slack)) as client:
            slack.wait_for("auth.test", 1)
            adapter = client.app.state.platforms.slack
            wait_until(lambda: bool(adapter.problems()), what="the refusal noticed")
            readiness = client.get("/readyz")
        assert readiness.status_code == 503
        assert readiness.json()["problems"] == ["slack refused the bot token (invalid_auth)"]


# -- identifiers longer than their columns ----------------------------------------------------
def click_payload(slack: FakeSlackHooks, *, user: str = OPERATOR, action_ts: str | None = None):  # type: ignore[no-untyped-def]
    channel = slack.add_im(OPERATOR)
    ts = slack.add_message(channel, "card", user=BOT)
    payload = card_click(slack, {"channel": channel, "ts": ts}, "approve:a1b2", user=user,
                         value="Approve")  # fmt: skip
    if action_ts is not None:
        payload["actions"][0]["action_ts"] = action_ts
    return payload


def test_oversized_clicks_among_concurrent_dms_are_refused_alone(pg_db, redis_conn, monkeypatch):  # type: ignore[no-untyped-def]
    """PostgreSQL: 3 signed clicks with a 300-character action_ts among 60 concurrent DMs that
    share one transaction. The 60 are stored and answered 200; the 3 get 400, no retry."""
    intakes: list[Intake] = []

    class Recorded(Intake):
        def __init__(self, services):  # type: ignore[no-untyped-def]
            super().__init__(services)
            intakes.append(self)

    held, entered = threading.Event(), threading.Event()

    def hold_first(db, events):  # type: ignore[no-untyped-def]
        if not entered.is_set():
            entered.set()
            assert held.wait(30), "the test never released the first batch"
        return store_events(db, events)

    monkeypatch.setattr("bot.slack_adapter.Intake", Recorded)
    monkeypatch.setattr("bot.intake.store_events", hold_first)
    with FakeSlackHooks() as slack:
        svc = slack_services(pg_db, slack, queue=RQJobQueue(redis_conn))
        with running(svc) as client, ThreadPoolExecutor(max_workers=63) as pool:
            dms = [form_or_json(dm_payload(slack, f"flights {n}")) for n in range(60)]
            bad = [form_or_json(click_payload(slack, action_ts="1" * 300)) for _ in range(3)]
            first = pool.submit(send, client, dms[0])
            assert entered.wait(30)
            answered: list[Any] = []
            rest = [pool.submit(send, client, b) for b in dms[1:] + bad]
            for future in rest:
                future.add_done_callback(answered.append)
            wait_until(lambda: len(intakes[0]._waiting) + len(answered) == 62, 30, "all in")
            held.set()
            responses = [f.result() for f in [first, *rest]]
    codes = [r.status_code for r in responses]
    assert codes == [200] * 60 + [400] * 3
    assert stored_events(pg_db) == 60
    assert all(r.headers["x-slack-no-retry"] == "1" for r in responses[60:])
    assert "event id too long" in responses[60].json()["error"]


def test_a_click_from_an_over_long_user_id_is_refused_at_the_edge(edge, db):  # type: ignore[no-untyped-def]
    """A user id too long for the log's actor column: 400 and nothing stored, so
    process_event never fails on it."""
    slack, _, client = edge
    response = send(client, form_or_json(click_payload(slack, user="U" + "9" * 199)))
    assert response.status_code == 400 and response.headers["x-slack-no-retry"] == "1"
    assert "user id too long" in response.json()["error"]
    assert stored_events(db) == 0


def form_or_json(payload: dict[str, Any]) -> tuple[bytes, bool]:
    """The body Slack would send: a form for interactivity, JSON for events."""
    if payload.get("type") == "block_actions":
        return payloads.form_body(payload), True
    return payloads.json_body(payload), False


def send(client: Any, body: tuple[bytes, bool]) -> Any:
    return (
        post_form(client, body[0])
        if body[1]
        else client.post("/slack/events", content=body[0], headers=signed(body[0]))
    )
