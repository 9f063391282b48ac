"""Slack payloads -> InboundEvent, and Web API failures -> outbox outcomes: pure functions."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest

from bot import slack_events
from bot.slack_calls import Refused, classify
from bot.slack_events import Malformed
from orchestrator.canonical import EventKind
from orchestrator.outbound import PermanentFailure, RetryLater
from tests.fakes import slack_payloads as payloads

BOT = payloads.BOT_USER_ID


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
    """A message with a file, or a reply also sent to the channel, is a person's message."""
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
    """An action_id not of the form action:value is not ours: dropped."""
    body = payloads.block_actions("Open-Link", "x", user="U1", channel="C1", message_ts="1.1")
    assert slack_events.action_event(body) is None


@pytest.mark.parametrize(
    "body",
    [{"type": "event_callback"}, {"type": "event_callback", "event": "x"}],
)
def test_events_without_an_inner_event_are_malformed(body: dict[str, Any]) -> None:
    """An event_callback without an event object is Malformed (400)."""
    with pytest.raises(Malformed):
        slack_events.message_event(body, bot_user_id=BOT)


def test_a_click_without_actions_is_malformed() -> None:
    """block_actions without actions is Malformed (400)."""
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
    """Slack's refusals are permanent, named by method and error code only."""
    failure = classify("chat.postMessage", 200, error, None)
    assert isinstance(failure, PermanentFailure) and isinstance(failure, Refused)
    assert failure.error == error and str(failure) == f"slack chat.postMessage: {error}"
