"""Telegram end to end: updates in (webhook or long polling), posts out at the fake Bot API."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.telegram_adapter import TelegramAdapter
from orchestrator.models import InboundEventRow, LogEvent
from tests.dialogue import TelegramDialogue, telegram_message
from tests.fakes import telegram_payloads as tp
from tests.telegram_support import (
    FORUM,
    OPERATOR,
    STRANGER,
    TOKEN,
    close_sender,
    fake_telegram,
    post_update,
    running,
    stored_events,
    telegram_services,
)

FLIGHTS = "flights to lisbon in march?"


@pytest.fixture
def tg():  # type: ignore[no-untyped-def]
    with fake_telegram() as fake:
        yield fake


def texts(tg, chat: int, thread: int | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    return [m["text"] for m in tg.messages(chat, thread)]


def reply_to(call) -> int | None:  # type: ignore[no-untyped-def]
    raw = call.params.get("reply_parameters")
    return json.loads(raw)["message_id"] if raw else None


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for a condition with a deadline (async tests)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


# -- routing and topics ---------------------------------------------------------------------
def test_private_message_is_answered_and_mirrored_in_the_travel_topic(db, tg):
    """A private question is answered (a reply naming travel) and appears in the travel topic,
    created once with createForumTopic and reused for the next message."""
    with running(telegram_services(db, tg)) as client:
        d = TelegramDialogue(client, tg)
        said = d.say(FLIGHTS)
        assert said.response.status_code == 200
        (answer,) = texts(tg, OPERATOR)
        assert "travel" in answer
        assert reply_to(tg.calls("sendMessage")[0]) == said.ref
        (topic,) = tg.topics(FORUM)
        assert tg.topics(FORUM)[topic] == "travel"
        mirror, noted = tg.messages(FORUM, topic)
        assert FLIGHTS in mirror["text"] and "travel" in noted["text"]
        assert noted["reply_to_message"]["message_id"] == mirror["message_id"]

        d.say("book a hotel in porto")
        assert len(tg.calls("createForumTopic")) == 1
        assert len(tg.messages(FORUM, topic)) == 4


def test_without_a_group_domain_posts_go_to_the_operator_chat(db, tg):
    """No TELEGRAM_CHAT_ID: the domain's copy goes to the operator's chat, titled travel."""
    with running(telegram_services(db, tg, forum=False)) as client:
        TelegramDialogue(client, tg).say(FLIGHTS)
        (answer,) = texts(tg, OPERATOR)  # the operator asked here: no second copy here
        assert answer.startswith("→ travel\n") and "Noted for travel" in answer
        assert tg.calls("createForumTopic") == []


def test_message_in_the_travel_topic_belongs_to_travel(db, tg):
    """A message inside the travel topic is travel's, without routing; the reply stays there."""
    with running(telegram_services(db, tg)) as client:
        d = TelegramDialogue(client, tg)
        d.say(FLIGHTS)
        (topic,) = tg.topics(FORUM)
        said = d.say("what should I do", topic=topic)
        last = tg.last("sendMessage")
        assert last.params["message_thread_id"] == str(topic) and reply_to(last) == said.ref
    update_id = str(said.payload["update_id"])
    with db.session() as s:
        row = s.scalars(
            select(InboundEventRow).where(InboundEventRow.external_id == update_id)
        ).one()
        routed = s.scalars(
            select(LogEvent).where(
                LogEvent.subject == f"event:{row.id}", LogEvent.kind == "route.decided"
            )
        ).all()
    assert row.domain == "travel" and routed == []


def test_the_same_update_three_times_is_processed_once(db, tg):
    """Telegram redelivers an update: three 200s, one stored event, no duplicate posts."""
    with running(telegram_services(db, tg)) as client:
        d = TelegramDialogue(client, tg)
        said = d.say(FLIGHTS)
        codes = [said.response.status_code] + [
            d.deliver(said.payload).status_code for _ in range(2)
        ]
        assert codes == [200, 200, 200]
        assert stored_events(db) == 1
        assert len(tg.calls("sendMessage")) == 3  # the answer, the mirror, its reply


def test_a_stranger_is_ignored(db, tg, caplog):
    """Someone not in PARALLELOS_USERS gets nothing; the log says so."""
    caplog.set_level(logging.INFO)
    tg.add_chat(STRANGER)
    with running(telegram_services(db, tg)) as client:
        assert TelegramDialogue(client, tg).say(FLIGHTS, user=STRANGER).response.status_code == 200
    assert stored_events(db) == 0 and tg.calls("sendMessage") == []
    assert "ignored a message from telegram:9999" in caplog.text


def test_rate_limited_send_is_retried_later_and_posted_once(db, tg):
    """sendMessage answers 429 retry_after=1: the post waits, then goes out exactly once."""
    tg.fail_next("sendMessage", 429, retry_after=1)
    with running(telegram_services(db, tg, forum=False)) as client:
        TelegramDialogue(client, tg).say(FLIGHTS)
        tg.wait_for("sendMessage", count=2, timeout=15)
        assert [c.status for c in tg.calls("sendMessage")] == [429, 200]
        assert len(texts(tg, OPERATOR)) == 1 and "travel" in texts(tg, OPERATOR)[0]


# -- buttons --------------------------------------------------------------------------------
def test_route_choice_click_is_answered(db, tg):
    """The unsure router asks with buttons; the operator's click is answered and acted on."""
    with running(telegram_services(db, tg)) as client:
        TelegramDialogue(client, tg).say("my trip expenses")
        (question,) = tg.messages(OPERATOR)
        data = [
            b["callback_data"] for row in question["reply_markup"]["inline_keyboard"] for b in row
        ]
        choice = next(d for d in data if d.endswith(":travel"))
        post_update(client, tp.callback_update(2, OPERATOR, choice, question, callback_id="c1"))
        tg.wait_for("answerCallbackQuery")
        assert [a["callback_query_id"] for a in tg.answered] == ["c1"]
        assert any("travel" in t for t in texts(tg, OPERATOR)[1:])


def test_clicks_nobody_handles_are_still_answered(db, tg):
    """A stranger's click, an unknown button and repeated deliveries all stop the spinner."""
    tg.add_chat(STRANGER)
    card = {"message_id": 5, "date": 0, "chat": tp.chat(OPERATOR), "text": "card"}
    with running(telegram_services(db, tg)) as client:
        post_update(client, tp.callback_update(1, STRANGER, "approve:1", card, callback_id="s1"))
        for _ in range(3):
            post_update(client, tp.callback_update(2, OPERATOR, "nope:1", card, callback_id="o1"))
        tg.wait_for("answerCallbackQuery", count=4)
    answers = {a["callback_query_id"]: a for a in tg.answered}
    assert answers["s1"]["text"].startswith("Only an operator")  # the stranger is told
    assert "no longer active" in answers["o1"]["text"]  # answered once by the orchestrator
    assert stored_events(db) == 2  # the stranger's click is stored only to be answered


# -- long polling ---------------------------------------------------------------------------
def test_long_polling_stores_processes_and_confirms(db, tg):
    """Without PUBLIC_URL: polled updates are processed, the offset confirms them, and a
    restarted poller processes nothing again."""
    svc = telegram_services(db, tg, webhook=False)
    with running(svc) as client:
        tg.wait_for_long_poll()
        assert tg.webhook == {} and client.get("/readyz").status_code == 200
        tg.push_update(telegram_message(FLIGHTS, update_id=1))
        tg.wait_for("sendMessage", count=3)
        tg.wait_for_long_poll()  # the next poll carries the new offset
        assert tg.pending_updates() == []
    sent = len(tg.calls("sendMessage"))
    with running(svc):
        tg.wait_for_long_poll()
        tg.push_update(telegram_message("book a hotel in porto", update_id=2))
        tg.wait_for("sendMessage", count=sent + 3)
        tg.wait_for_long_poll()
    assert stored_events(db) == 2 and len(tg.calls("sendMessage")) == sent + 3


def test_a_crash_before_the_offset_moved_refetches_without_reprocessing(db, tg):
    """Updates stored but never confirmed come back after a restart; dedupe drops them."""
    svc = telegram_services(db, tg, webhook=False)
    tg.push_update(telegram_message(FLIGHTS, update_id=1))
    tg.push_update(telegram_message("book a hotel in porto", update_id=2))

    async def first_run() -> None:  # fetch and store, then "crash" before the next getUpdates
        adapter = TelegramAdapter(svc)
        async with adapter.bot:
            await adapter.store(await adapter.bot.get_updates(timeout=0))

    async def second_run() -> None:
        adapter = TelegramAdapter(svc)
        async with adapter.bot:
            task = asyncio.create_task(adapter.poller.run())
            await asyncio.to_thread(tg.wait_for_long_poll)
            task.cancel()

    try:
        asyncio.run(first_run())
        sent = len(tg.calls("sendMessage"))
        assert len(tg.pending_updates()) == 2 and sent == 6
        asyncio.run(second_run())
    finally:
        close_sender(svc)
    assert tg.pending_updates() == [] and len(tg.calls("sendMessage")) == sent
    assert stored_events(db) == 2


def test_polling_backs_off_reports_and_recovers(db, tg, caplog):
    """getUpdates failing: logged (no token), reported by problems(), then polling resumes."""
    caplog.set_level(logging.INFO)
    svc = telegram_services(db, tg, webhook=False)
    tg.fail_next("getUpdates", 502, times=4)

    async def scenario() -> None:
        adapter = TelegramAdapter(svc, poll_backoff=0.01)
        async with adapter.bot:
            task = asyncio.create_task(adapter.poller.run())
            await until(lambda: adapter.poller.failures >= 3)
            assert "failing" in adapter.poller.problems()[0]
            tg.push_update(telegram_message("/help", update_id=1))
            await asyncio.to_thread(tg.wait_for, "sendMessage")
            await until(lambda: adapter.poller.failures == 0)
            assert adapter.poller.problems() == []
            task.cancel()

    try:
        asyncio.run(scenario())
    finally:
        close_sender(svc)
    assert "telegram polling failed" in caplog.text and "working again" in caplog.text
    assert TOKEN not in caplog.text


def test_readyz_reports_telegram_until_it_is_set_up(db, tg):
    """Telegram failing at start: the app still starts, /readyz says why, set-up is retried."""
    tg.fail_next("setMyCommands", 502)
    with running(telegram_services(db, tg)) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert any("telegram" in p for p in response.json()["problems"])
        adapter = client.app.state.platforms.telegram
        tg.wait_for("setWebhook", timeout=10)  # the last step of the retried set-up
        deadline = time.monotonic() + 5
        while not adapter.ready:
            assert time.monotonic() < deadline, "set-up did not finish"
            time.sleep(0.01)
        assert client.get("/readyz").status_code == 200
        assert tg.webhook["url"].endswith("/telegram/webhook")
