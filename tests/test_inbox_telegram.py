"""Inbox and approvals on Telegram, end to end through the fake Bot API: cards are messages
with inline keyboards in the domains' forum topics, edits are editMessageText, and every
callback query is answered exactly once, whoever clicked and however often it came."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from domains.approvals.effect import host_of
from orchestrator.canonical import Platform, Target
from orchestrator.services import Services
from tests.dialogue import TelegramDialogue, verify_dialog
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram_support import (
    FORUM,
    OPERATOR,
    STRANGER,
    fake_telegram,
    running,
    telegram_services,
)
from tests.webhook_receiver import SECRET, ActionReceiver, verified

MEMBER = 5555  # may talk to the bot, is not an operator
ASK = "Ask finance high: approve the trip budget -- flights 420 EUR"


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


def labels(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row]


def test_an_ask_goes_to_the_finance_topic_and_its_buttons_move_it(db, tg) -> None:  # type: ignore[no-untyped-def]
    """Ask in the travel topic → a card in the finance topic; Accept then Done edit it with
    editMessageText; the ask's message in travel gets the done notice; clicks answered."""
    svc = services(db, tg)
    with running(svc) as client:
        d, travel = TelegramDialogue(client, tg), topic_of(svc, "travel")
        (asked,) = verify_dialog(d, [(ASK, "inbox #1")], topic=travel)
        finance = next(t for t, name in tg.topics(FORUM).items() if name == "finance")
        (card,) = tg.messages(FORUM, finance)
        assert labels(card) == ["Accept", "Done", "Decline"] and "flights 420 EUR" in card["text"]

        first = d.click(card, "Accept", user=MEMBER)
        (card,) = tg.messages(FORUM, finance)
        assert labels(card) == ["Done", "Decline"] and "Accepted by" in card["text"]
        second = d.click(card, "Done", user=MEMBER)
        (card,) = tg.messages(FORUM, finance)
        assert labels(card) == [] and "Done by" in card["text"]
        assert "did your ask" in d.replies(asked)[-1]
    assert len(tg.calls("editMessageText")) == 2
    ids = [u["callback_query"]["id"] for u in (first, second)]
    assert all(i in d.answers() for i in ids)


def test_an_approval_card_in_the_topic_is_decided_once(db, tg) -> None:  # type: ignore[no-untyped-def]
    """A member is told no in an alert; a stranger's click is only acknowledged; the operator
    approves (the card is edited, keyboard gone); a redelivered update and a second click
    change nothing; every callback query is answered once; one signed POST."""
    with ActionReceiver() as receiver:
        svc = services(db, tg, ACTION_WEBHOOK_URL=receiver.url, ACTION_WEBHOOK_SECRET=SECRET)
        with running(svc) as client:
            d, travel = TelegramDialogue(client, tg), topic_of(svc, "travel")
            proposal = d.say("Propose: book the 9:40 flight to Lisbon", topic=travel)
            card, _confirmation = d.thread(proposal)
            assert labels(card) == ["Approve", "Reject"]
            assert host_of(receiver.url) in card["text"]  # the exact effect, before the click
            assert '"action": "book the 9:40 flight to Lisbon"' in card["text"]

            member = d.click(card, "Approve", user=MEMBER)
            stranger = d.click(card, "Approve", user=STRANGER)
            operator = d.click(card, "Approve")
            d.deliver(operator)  # Telegram delivers the same update again
            again = d.click(card, "Reject")
            tg.wait_for("answerCallbackQuery", count=4)
            card = tg.message(FORUM, card["message_id"])
        told = d.answers()
        assert len(tg.answered) == 4 and set(told) == {
            u["callback_query"]["id"] for u in (member, stranger, operator, again)
        }
        assert told[member["callback_query"]["id"]].startswith("Only an operator")
        assert told[stranger["callback_query"]["id"]].startswith("Only an operator")
        assert told[operator["callback_query"]["id"]] == ""
        assert told[again["callback_query"]["id"]].startswith("Already approved")
        assert labels(card) == [] and "Approved by" in card["text"]
        assert "sent to the action webhook" in card["text"] and "HTTP 200" in card["text"]
        (post,) = receiver.posts()
        verified(post)


def test_callback_data_stays_within_64_bytes(db, tg) -> None:  # type: ignore[no-untyped-def]
    svc = services(db, tg)
    with running(svc) as client:
        d = TelegramDialogue(client, tg)
        card = d.thread(d.say("Propose: renew the passport", topic=topic_of(svc, "travel")))[0]
    data = [b["callback_data"] for row in card["reply_markup"]["inline_keyboard"] for b in row]
    assert all(len(d.encode()) <= 64 for d in data)


def test_an_expired_approval_answers_the_click_and_shows_expired(db, tg) -> None:  # type: ignore[no-untyped-def]
    """After travel's two days, Approve finds the approval expired: an alert, a card edit."""
    svc = services(db, tg)
    with running(svc) as client:
        d, travel = TelegramDialogue(client, tg), topic_of(svc, "travel")
        card = d.thread(d.say("Propose: book the 9:40 flight to Lisbon", topic=travel))[0]
        with time_machine.travel(datetime.now(UTC) + timedelta(days=3)):
            late = d.click(card, "Approve")
        tg.wait_for("answerCallbackQuery")
        card = tg.message(FORUM, card["message_id"])
    assert labels(card) == [] and "Expired" in card["text"]
    assert d.answers()[late["callback_query"]["id"]].startswith("This approval expired")
