"""Inbox and approvals on Telegram, end to end through the fake Bot API: cards are messages
with inline keyboards in the domains' forum topics, edits are editMessageText, and every
callback query is answered exactly once, whoever clicked and however often it came."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from orchestrator.canonical import Platform, Target
from orchestrator.services import Services
from tests.fakes import telegram_payloads as tp
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram_support import (
    FORUM,
    OPERATOR,
    STRANGER,
    fake_telegram,
    post_update,
    running,
    telegram_services,
)
from tests.webhook_receiver import SECRET, ActionReceiver, verified

MEMBER = 5555  # may talk to the bot, is not an operator
ASK = "Ask finance high: approve the trip budget -- flights 420 EUR"
_updates = itertools.count(100)


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with fake_telegram() as fake:
        fake.add_chat(MEMBER)
        fake.add_chat(STRANGER)
        yield fake


def services(db, tg: FakeTelegram, **env: Any) -> Services:  # type: ignore[no-untyped-def]
    env.setdefault("PARALLELOS_USERS", f"telegram:{OPERATOR},telegram:{MEMBER}")
    return telegram_services(db, tg, **env)


def topic_of(svc: Services, domain: str) -> int:
    """The domain's forum topic, created by the bot (createForumTopic) on first use."""
    thread = svc.directory.resolve(Target(platform=Platform.TELEGRAM, domain=domain)).thread
    assert thread is not None
    return int(thread)


def say(client: Any, topic: int, text: str, user: int = OPERATOR) -> int:
    """A message in a topic; returns its message id."""
    n = next(_updates)
    post_update(client, tp.message_update(n, FORUM, user, text, topic, "supergroup",
                                          message_id=n))  # fmt: skip
    return n


def click(client: Any, message: dict[str, Any], label: str, user: int = OPERATOR) -> dict:
    """Press a button; returns the update (to deliver it again)."""
    n = next(_updates)
    data = next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"]
                for b in row if b["text"] == label)  # fmt: skip
    update = tp.callback_update(n, user, data, message, callback_id=f"cb{n}")
    post_update(client, update)
    return update


def labels(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


def in_topic(tg: FakeTelegram, topic: int, reply_to: int | None = None) -> list[dict]:
    """The bot's messages in a topic, as they are now; only the replies to one, if given."""
    found = tg.messages(FORUM, topic)
    if reply_to is None:
        return found
    replies = {c.response["result"]["message_id"] for c in tg.calls("sendMessage")
               if json.loads(c.params.get("reply_parameters") or "{}").get("message_id")
               == reply_to}  # fmt: skip
    return [m for m in found if m["message_id"] in replies]


def answers(tg: FakeTelegram) -> dict[str, str]:
    return {a["callback_query_id"]: a.get("text", "") for a in tg.answered}


def test_an_ask_goes_to_the_finance_topic_and_its_buttons_move_it(db, tg) -> None:  # type: ignore[no-untyped-def]
    """Ask in the travel topic → a card in the finance topic; Accept then Done edit it with
    editMessageText; the ask's message in travel gets the done notice; clicks answered."""
    svc = services(db, tg)
    with running(svc) as client:
        travel = topic_of(svc, "travel")
        asked = say(client, travel, ASK)
        finance = next(t for t, name in tg.topics(FORUM).items() if name == "finance")
        (card,) = in_topic(tg, finance)
        assert labels(card) == ["Accept", "Done", "Decline"] and "flights 420 EUR" in card["text"]
        assert "inbox #1" in in_topic(tg, travel, reply_to=asked)[0]["text"]

        first = click(client, card, "Accept", user=MEMBER)
        (card,) = in_topic(tg, finance)
        assert labels(card) == ["Done", "Decline"] and "Accepted by" in card["text"]
        second = click(client, card, "Done", user=MEMBER)
        (card,) = in_topic(tg, finance)
        assert labels(card) == [] and "Done by" in card["text"]
        assert "did your ask" in in_topic(tg, travel, reply_to=asked)[-1]["text"]
    assert len(tg.calls("editMessageText")) == 2
    ids = [u["callback_query"]["id"] for u in (first, second)]
    assert all(i in answers(tg) for i in ids)


def test_an_approval_card_in_the_topic_is_decided_once(db, tg) -> None:  # type: ignore[no-untyped-def]
    """A member is told no in an alert; a stranger's click is only acknowledged; the operator
    approves (the card is edited, keyboard gone); a redelivered update and a second click
    change nothing; every callback query is answered once; one signed POST."""
    with ActionReceiver() as receiver:
        svc = services(db, tg, ACTION_WEBHOOK_URL=receiver.url, ACTION_WEBHOOK_SECRET=SECRET)
        with running(svc) as client:
            travel = topic_of(svc, "travel")
            proposal = say(client, travel, "Propose: book the 9:40 flight to Lisbon")
            card, _confirmation = in_topic(tg, travel, reply_to=proposal)
            assert labels(card) == ["Approve", "Reject"]

            member = click(client, card, "Approve", user=MEMBER)
            stranger = click(client, card, "Approve", user=STRANGER)
            operator = click(client, card, "Approve")
            post_update(client, operator)  # Telegram delivers the same update again
            again = click(client, card, "Reject")
            tg.wait_for("answerCallbackQuery", count=4)
            card = tg.message(FORUM, card["message_id"])
        told = answers(tg)
        assert len(tg.answered) == 4 and set(told) == {
            u["callback_query"]["id"] for u in (member, stranger, operator, again)
        }
        assert told[member["callback_query"]["id"]].startswith("Only an operator")
        assert told[stranger["callback_query"]["id"]].startswith("Only an operator")
        assert told[operator["callback_query"]["id"]] == ""
        assert told[again["callback_query"]["id"]].startswith("Already approved")
        assert labels(card) == [] and "Approved by" in card["text"]
        assert "sent to the action webhook" in card["text"]
        (post,) = receiver.posts()
        verified(post)


def test_callback_data_stays_within_64_bytes(db, tg) -> None:  # type: ignore[no-untyped-def]
    svc = services(db, tg)
    with running(svc) as client:
        travel = topic_of(svc, "travel")
        proposal = say(client, travel, "Propose: renew the passport")
        card = in_topic(tg, travel, reply_to=proposal)[0]
    data = [b["callback_data"] for row in card["reply_markup"]["inline_keyboard"] for b in row]
    assert all(len(d.encode()) <= 64 for d in data)


def test_an_expired_approval_answers_the_click_and_shows_expired(db, tg) -> None:  # type: ignore[no-untyped-def]
    """After travel's two days, Approve finds the approval expired: an alert, a card edit."""
    svc = services(db, tg)
    with running(svc) as client:
        travel = topic_of(svc, "travel")
        proposal = say(client, travel, "Propose: book the 9:40 flight to Lisbon")
        card = in_topic(tg, travel, reply_to=proposal)[0]
        with time_machine.travel(datetime.now(UTC) + timedelta(days=3)):
            late = click(client, card, "Approve")
        tg.wait_for("answerCallbackQuery")
        card = tg.message(FORUM, card["message_id"])
    assert labels(card) == [] and "Expired" in card["text"]
    assert answers(tg)[late["callback_query"]["id"]].startswith("This approval expired")
