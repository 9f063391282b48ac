"""The Slack edge piece by piece: payload translation, request checks, Web API error mapping."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import yaml
from sqlalchemy.exc import OperationalError

from bot import slack_events
from bot.slack_calls import Refused, classify
from bot.slack_events import Malformed
from orchestrator.canonical import EventKind
from orchestrator.outbound import PermanentFailure, RetryLater
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
)

BOT = payloads.BOT_USER_ID
ROOT = Path(__file__).resolve().parent.parent


# -- payload -> InboundEvent ------------------------------------------------------------------
def test_dm_becomes_a_direct_message_event() -> None:
    """A DM is addressed to the bot: is_direct, keyed by Slack's event_id."""
    body = payloads.message_im("flights?", user="U1", channel="D1", ts="100.1", event_id="Ev1")
    event = slack_events.message_event(body, bot_user_id=BOT)
    assert event is not None
    assert (event.external_id, event.kind, event.user, event.channel) == (
        "Ev1", EventKind.MESSAGE, "U1", "D1",
    )  # fmt: skip
    assert event.is_direct and not event.mentions_bot
    assert (event.text, event.message_ref, event.thread) == ("flights?", "100.1", None)
    assert event.workspace == payloads.TEAM_ID


def test_channel_message_is_plain_and_keeps_its_thread() -> None:
    """A channel message is neither direct nor a mention; a reply carries its thread ts."""
    body = payloads.message_channels("Next: a; b", user="U1", channel="C1", thread_ts="99.9")
    event = slack_events.message_event(body, bot_user_id=BOT)
    assert event is not None and not event.is_direct and not event.mentions_bot
    assert event.thread == "99.9"


def test_channel_message_mentioning_the_bot_is_left_to_app_mention() -> None:
    """Slack sends a mention twice (message + app_mention); only app_mention is kept."""
    text = f"<@{BOT}> flights to lisbon?"
    message = payloads.message_channels(text, user="U1", channel="C1")
    mention = payloads.app_mention(text, user="U1", channel="C1")
    assert slack_events.message_event(message, bot_user_id=BOT) is None
    event = slack_events.mention_event(mention, bot_user_id=BOT)
    assert event is not None and event.mentions_bot and event.text == "flights to lisbon?"


@pytest.mark.parametrize(
    "change",
    [
        {"bot_id": "B9"},
        {"subtype": "bot_message"},
        {"subtype": "message_changed"},
        {"subtype": "channel_join"},
        {"user": BOT},
        {"user": None},
    ],
)
def test_bots_own_messages_and_other_subtypes_are_dropped(change: dict[str, Any]) -> None:
    """Bot posts (ours included), edits and service messages never reach the orchestrator."""
    body = payloads.message_im("hello", user="U1")
    body["event"].update(change)
    assert slack_events.message_event(body, bot_user_id=BOT) is None


@pytest.mark.parametrize("subtype", ["file_share", "thread_broadcast"])
def test_file_shares_and_broadcast_replies_are_messages(subtype: str) -> None:
    body = payloads.message_im("see attached", user="U1")
    body["event"]["subtype"] = subtype
    assert slack_events.message_event(body, bot_user_id=BOT) is not None


@pytest.mark.parametrize(
    ("text", "command", "rest"),
    [("status travel", "status", "travel"), ("", "help", ""), ("  BOARD ", "board", "")],
)
def test_slash_command_is_first_word_and_the_rest(text: str, command: str, rest: str) -> None:
    """`/pos status travel` -> command status, text travel; a bare `/pos` is help."""
    form = payloads.slash_command(text, user_id="U1", channel_id="C1", response_url="https://x/1")
    body = dict(parse_qsl(form.decode(), keep_blank_values=True))
    event = slack_events.command_event(body)
    assert (event.kind, event.command, event.text) == (EventKind.COMMAND, command, rest)
    assert event.action_callback_ref == "https://x/1"
    assert event.external_id == f"cmd:{body['trigger_id']}"


def test_button_click_decodes_the_rendered_action() -> None:
    """`action_id` "route:12:travel" -> action route, value "12:travel", on the card's ts."""
    body = payloads.block_actions(
        "route:12:travel", "12:travel", user="U1", channel="C1", message_ts="55.5"
    )
    event = slack_events.action_event(body)
    assert event is not None and event.kind is EventKind.ACTION
    assert (event.action_id, event.action_value) == ("route", "12:travel")
    assert event.action_message_ref == "55.5"
    assert event.action_callback_ref == body["response_url"]
    assert event.external_id == f"act:U1:{body['actions'][0]['action_ts']}"


def test_a_button_we_did_not_render_is_ignored() -> None:
    body = payloads.block_actions("Open-Link", "x", user="U1", channel="C1", message_ts="1.1")
    assert slack_events.action_event(body) is None


@pytest.mark.parametrize(
    "body",
    [{"type": "event_callback"}, {"type": "event_callback", "event": "x"}],
)
def test_events_without_an_inner_event_are_malformed(body: dict[str, Any]) -> None:
    with pytest.raises(Malformed):
        slack_events.message_event(body, bot_user_id=BOT)


def test_a_click_without_actions_is_malformed() -> None:
    with pytest.raises(Malformed):
        slack_events.action_event({"type": "block_actions", "user": {"id": "U1"}})


# -- Web API failures -> outbox outcomes ------------------------------------------------------
def test_rate_limits_and_server_errors_are_retried_later() -> None:
    """429 honours Retry-After; `ratelimited`, 5xx and Slack's transient errors retry."""
    limited = classify("chat.postMessage", 429, "ratelimited", "7")
    assert isinstance(limited, RetryLater) and limited.seconds == 7.0
    assert isinstance(classify("chat.postMessage", 200, "ratelimited", None), RetryLater)
    assert isinstance(classify("chat.postMessage", 503, "", None), RetryLater)
    assert isinstance(classify("chat.postMessage", 200, "internal_error", None), RetryLater)


@pytest.mark.parametrize(
    "error", ["channel_not_found", "is_archived", "invalid_blocks", "invalid_auth"]
)
def test_refusals_are_permanent(error: str) -> None:
    failure = classify("chat.postMessage", 200, error, None)
    assert isinstance(failure, PermanentFailure) and isinstance(failure, Refused)
    assert failure.error == error and str(failure) == f"slack chat.postMessage: {error}"


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
    _, _, client = edge
    body = b'{"type": "event_callback", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post("/slack/events", content=body, headers=signed(body))
    assert response.status_code == 413
    assert stored_events(db) == 0


def test_url_verification_echoes_the_challenge(edge) -> None:  # type: ignore[no-untyped-def]
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
