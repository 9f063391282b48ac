"""Inbox and approvals on Slack, end to end: signed payloads in, the real client out to the
fake Web API; cards are Block Kit, clicks are `block_actions`, edits are `chat.update`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from domains.approvals.effect import host_of
from orchestrator.canonical import Platform, Target
from orchestrator.services import Services
from tests.dialogue import SlackDialogue, actions, verify_dialog
from tests.fakes import slack_payloads as payloads
from tests.slack_support import (
    OPERATOR,
    FakeSlackHooks,
    post_form,
    running,
    slack_services,
    stored_events,
)
from tests.webhook_receiver import SECRET, ActionReceiver, verified

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


def labels(message: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for e in actions(message)]


def shown(message: dict[str, Any]) -> str:
    return str(message.get("blocks"))


def test_an_ask_goes_to_finance_and_its_buttons_move_it(db, slack) -> None:  # type: ignore[no-untyped-def]
    """Ask in pos-travel → a card in pos-finance; Accept and Done edit it in place; the
    travel thread hears that its ask is done; `/pos inbox` lists nothing open after."""
    svc = services(db, slack)
    with running(svc) as client:
        d, travel = SlackDialogue(client, slack), channel_of(svc, "travel")
        (asked,) = verify_dialog(d, [(ASK, "inbox #1")], channel=travel)
        finance = slack.channel_id("pos-finance")
        (card,) = d.posts(finance)
        assert labels(card) == ["Accept", "Done", "Decline"]
        assert "approve the trip budget" in shown(card) and "flights 420 EUR" in shown(card)

        d.click(card, "Accept", user=MEMBER)
        (card,) = d.posts(finance)
        assert labels(card) == ["Done", "Decline"] and "Accepted by" in shown(card)
        d.click(card, "Done", user=MEMBER)
        (card,) = d.posts(finance)
        assert labels(card) == [] and "Done by" in shown(card)
        assert len(slack.calls("chat.update")) == 2

        assert "did your ask" in d.replies(asked)[-1]
        command = payloads.slash_command("inbox finance", user_id=OPERATOR, channel_id=travel,
                                         response_url=slack.hook_url("cmd"))  # fmt: skip
        post_form(client, command)
    assert "Nothing open" in d.private_answers()[-1]


def test_done_before_accept_is_answered_privately(db, slack) -> None:  # type: ignore[no-untyped-def]
    svc = services(db, slack)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        d.say(ASK, channel=channel_of(svc, "travel"))
        (card,) = d.posts(slack.channel_id("pos-finance"))
        d.click(card, "Done")
    assert slack.calls("chat.update") == []
    assert "Accept this ask first" in d.private_answers()[0]


def test_an_approval_is_decided_once_by_an_operator(db, slack) -> None:  # type: ignore[no-untyped-def]
    """The card sits in the proposal's thread. A member's click is told no (ephemeral); the
    operator's click approves: chat.update shows who and when, without buttons; the same
    payload redelivered and a second click change nothing; the webhook got one signed POST."""
    with ActionReceiver() as receiver:
        svc = services(db, slack, ACTION_WEBHOOK_URL=receiver.url, ACTION_WEBHOOK_SECRET=SECRET)
        with running(svc) as client:
            d, travel = SlackDialogue(client, slack), channel_of(svc, "travel")
            proposal = d.say("Propose: book the 9:40 flight to Lisbon", channel=travel)
            card, _confirmation = d.thread(proposal)
            assert labels(card) == ["Approve", "Reject"]
            assert f"POSTed to `{host_of(receiver.url)}`" in shown(card)  # the exact effect
            assert '"action": "book the 9:40 flight to Lisbon"' in shown(card)

            d.click(card, "Approve", user=MEMBER)
            assert slack.calls("chat.update") == []
            assert d.private_answers() == ["Only an operator can decide this. Nothing changed."]

            payload = d.click(card, "Approve")
            d.deliver(payload)  # Slack delivers it again
            d.click(card, "Reject")  # a second click, a new action
            card = [m for m in d.posts(travel) if m["ts"] == card["ts"]][0]
        assert labels(card) == [] and "Approved by" in shown(card)
        assert "sent to the action webhook" in shown(card) and "HTTP 200" in shown(card)
        assert len(slack.calls("chat.update")) == 2  # approved; then sent
        assert d.private_answers()[-1].startswith("Already approved by")
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
            d, travel = SlackDialogue(client, slack), channel_of(svc, "travel")
            card = d.thread(d.say("Propose: book the 9:40 flight to Lisbon", channel=travel))[0]
            d.click(card, "Approve")
            card = next(m for m in d.posts(travel) if m["ts"] == card["ts"])
            assert labels(card) == ["Retry"] and "delivery failed" in shown(card)
            assert "failed: HTTP 400" in shown(card)  # why, on the card itself
            assert any("could not be delivered" in m["text"] for m in d.posts(travel))
            d.click(card, "Retry")
            card = next(m for m in d.posts(travel) if m["ts"] == card["ts"])
        assert labels(card) == [] and "sent to the action webhook" in shown(card)
        assert "HTTP 200" in shown(card) and "HTTP 400" not in shown(card)
        first, second = receiver.posts()
        assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
        assert [first.status, second.status] == [400, 200]


def test_an_expired_approval_cannot_be_approved(db, slack) -> None:  # type: ignore[no-untyped-def]
    """Three days later (travel's approvals last two): the click finds it expired, the card
    says so without buttons, and the operator is told privately."""
    svc = services(db, slack)
    with running(svc) as client:
        d, travel = SlackDialogue(client, slack), channel_of(svc, "travel")
        card = d.thread(d.say("Propose: book the 9:40 flight to Lisbon", channel=travel))[0]
        with time_machine.travel(datetime.now(UTC) + timedelta(days=3)):
            d.click(card, "Approve")
        card = next(m for m in d.posts(travel) if m["ts"] == card["ts"])
    assert labels(card) == [] and "Expired" in shown(card)
    assert d.private_answers()[-1].startswith("This approval expired")
