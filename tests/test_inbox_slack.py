"""Inbox and approvals on Slack, end to end: signed payloads in, the real client out to the
fake Web API; cards are Block Kit, clicks are `block_actions`, edits are `chat.update`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from orchestrator.canonical import Platform, Target
from orchestrator.services import Services
from tests.fakes import slack_payloads as payloads
from tests.slack_support import (
    HOOK,
    OPERATOR,
    FakeSlackHooks,
    post_form,
    post_json,
    running,
    slack_services,
    stored_events,
)
from tests.webhook_receiver import SECRET, ActionReceiver, verified

BOT = payloads.BOT_USER_ID
MEMBER = "U0MEMBER1"  # may talk to the bot, is not an operator
ASK = "Ask finance high: approve the trip budget -- flights 420 EUR"


@pytest.fixture
def slack() -> Iterator[FakeSlackHooks]:
    with FakeSlackHooks() as fake:
        yield fake


def services(db, slack: FakeSlackHooks, **env: Any) -> Services:  # type: ignore[no-untyped-def]
    env.setdefault("PARALLELOS_USERS", f"slack:{OPERATOR},slack:{MEMBER}")
    return slack_services(db, slack, **env)


def channel_of(svc: Services, domain: str) -> str:
    """The domain's channel, found or created by the bot (conversations.list / create)."""
    return svc.directory.resolve(Target(platform=Platform.SLACK, domain=domain)).channel


def say(client: Any, slack: FakeSlackHooks, channel: str, text: str, user: str = OPERATOR) -> str:
    ts = slack.add_message(channel, text, user=user)
    post_json(client, payloads.message_channels(text, user=user, channel=channel, ts=ts))
    return ts


def click(client: Any, slack: FakeSlackHooks, message: dict[str, Any], label: str,
          user: str = OPERATOR) -> dict[str, Any]:  # fmt: skip
    """Press the button labelled `label` on a bot message; returns the payload (to redeliver)."""
    action_id = next(e["action_id"] for e in actions(message) if e["text"]["text"] == label)
    payload = payloads.block_actions(
        action_id, action_id.split(":", 1)[1], user=user, channel=message["channel"],
        message_ts=message["ts"], response_url=slack.hook_url(f"{user}-{message['ts']}"),
    )  # fmt: skip
    assert post_form(client, payloads.form_body(payload)).status_code == 200
    return payload


def bot_posts(slack: FakeSlackHooks, channel: str) -> list[dict[str, Any]]:
    found = [m for m in slack.messages(channel) if m.get("user") == BOT]
    return [{**m, "channel": channel} for m in found]


def actions(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def labels(message: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for e in actions(message)]


def shown(message: dict[str, Any]) -> str:
    return str(message.get("blocks"))


def private_answers(slack: FakeSlackHooks) -> list[str]:
    return [c.params["text"] for c in slack.calls(HOOK)]


def test_an_ask_goes_to_finance_and_its_buttons_move_it(db, slack) -> None:  # type: ignore[no-untyped-def]
    """Ask in pos-travel → a card in pos-finance; Accept and Done edit it in place; the
    travel thread hears that its ask is done; `/pos inbox` lists nothing open after."""
    svc = services(db, slack)
    with running(svc) as client:
        travel = channel_of(svc, "travel")
        ts = say(client, slack, travel, ASK)
        finance = slack.channel_id("pos-finance")
        (card,) = bot_posts(slack, finance)
        assert labels(card) == ["Accept", "Done", "Decline"]
        assert "approve the trip budget" in shown(card) and "flights 420 EUR" in shown(card)
        (reply,) = [m for m in bot_posts(slack, travel) if m.get("thread_ts") == ts]
        assert "inbox #1" in reply["text"]

        click(client, slack, card, "Accept", user=MEMBER)
        (card,) = bot_posts(slack, finance)
        assert labels(card) == ["Done", "Decline"] and "Accepted by" in shown(card)
        click(client, slack, card, "Done", user=MEMBER)
        (card,) = bot_posts(slack, finance)
        assert labels(card) == [] and "Done by" in shown(card)
        assert len(slack.calls("chat.update")) == 2

        notice = [m for m in bot_posts(slack, travel) if m.get("thread_ts") == ts][-1]
        assert "did your ask" in notice["text"]
        command = payloads.slash_command("inbox finance", user_id=OPERATOR, channel_id=travel,
                                         response_url=slack.hook_url("cmd"))  # fmt: skip
        post_form(client, command)
    assert "Nothing open" in private_answers(slack)[-1]


def test_done_before_accept_is_answered_privately(db, slack) -> None:  # type: ignore[no-untyped-def]
    svc = services(db, slack)
    with running(svc) as client:
        say(client, slack, channel_of(svc, "travel"), ASK)
        (card,) = bot_posts(slack, slack.channel_id("pos-finance"))
        click(client, slack, card, "Done")
    assert slack.calls("chat.update") == []
    assert "Accept this ask first" in private_answers(slack)[0]


def test_an_approval_is_decided_once_by_an_operator(db, slack) -> None:  # type: ignore[no-untyped-def]
    """The card sits in the proposal's thread. A member's click is told no (ephemeral); the
    operator's click approves: chat.update shows who and when, without buttons; the same
    payload redelivered and a second click change nothing; the webhook got one signed POST."""
    with ActionReceiver() as receiver:
        svc = services(db, slack, ACTION_WEBHOOK_URL=receiver.url, ACTION_WEBHOOK_SECRET=SECRET)
        with running(svc) as client:
            travel = channel_of(svc, "travel")
            ts = say(client, slack, travel, "Propose: book the 9:40 flight to Lisbon")
            card, _confirmation = [m for m in bot_posts(slack, travel) if m.get("thread_ts") == ts]
            assert labels(card) == ["Approve", "Reject"]

            click(client, slack, card, "Approve", user=MEMBER)
            assert slack.calls("chat.update") == []
            assert private_answers(slack) == ["Only an operator can decide this. Nothing changed."]

            payload = click(client, slack, card, "Approve")
            post_form(client, payloads.form_body(payload))  # Slack delivers it again
            click(client, slack, card, "Reject")  # a second click, a new action
            card = [m for m in bot_posts(slack, travel) if m["ts"] == card["ts"]][0]
        assert labels(card) == [] and "Approved by" in shown(card)
        assert "sent to the action webhook" in shown(card)
        assert len(slack.calls("chat.update")) == 2  # approved; then sent
        assert private_answers(slack)[-1].startswith("Already approved by")
        assert stored_events(db) == 4  # the proposal and three distinct clicks
        (post,) = receiver.posts()
        assert verified(post)["approval_id"] == post.headers["idempotency-key"]


def test_a_failed_delivery_shows_on_the_card_and_retry_delivers(db, slack) -> None:  # type: ignore[no-untyped-def]
    """The receiver refuses (400): the card reads "Approved, delivery failed" with Retry and
    pos-travel is told; the operator's Retry sends it again under the same key."""
    with ActionReceiver() as receiver:
        receiver.fail_next(400)
        svc = services(db, slack, ACTION_WEBHOOK_URL=receiver.url, ACTION_WEBHOOK_SECRET=SECRET)
        with running(svc) as client:
            travel = channel_of(svc, "travel")
            ts = say(client, slack, travel, "Propose: book the 9:40 flight to Lisbon")
            card = [m for m in bot_posts(slack, travel) if m.get("thread_ts") == ts][0]
            click(client, slack, card, "Approve")
            card = next(m for m in bot_posts(slack, travel) if m["ts"] == card["ts"])
            assert labels(card) == ["Retry"] and "delivery failed" in shown(card)
            assert any("could not be delivered" in m["text"] for m in bot_posts(slack, travel))
            click(client, slack, card, "Retry")
            card = next(m for m in bot_posts(slack, travel) if m["ts"] == card["ts"])
        assert labels(card) == [] and "sent to the action webhook" in shown(card)
        first, second = receiver.posts()
        assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
        assert [first.status, second.status] == [400, 200]


def test_an_expired_approval_cannot_be_approved(db, slack) -> None:  # type: ignore[no-untyped-def]
    """Three days later (travel's approvals last two): the click finds it expired, the card
    says so without buttons, and the operator is told privately."""
    svc = services(db, slack)
    with running(svc) as client:
        travel = channel_of(svc, "travel")
        ts = say(client, slack, travel, "Propose: book the 9:40 flight to Lisbon")
        card = [m for m in bot_posts(slack, travel) if m.get("thread_ts") == ts][0]
        with time_machine.travel(datetime.now(UTC) + timedelta(days=3)):
            click(client, slack, card, "Approve")
        card = next(m for m in bot_posts(slack, travel) if m["ts"] == card["ts"])
    assert labels(card) == [] and "Expired" in shown(card)
    assert private_answers(slack)[-1].startswith("This approval expired")
