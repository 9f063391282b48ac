"""The fake Telegram Bot API behaves like Telegram for the real python-telegram-bot Bot."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, RetryAfter

from tests.fakes import FakeTelegram
from tests.fakes.telegram_payloads import callback_update, message_update

TG_TOKEN = "123456:TEST-token"
USER, GROUP = 4567, -1001234567890


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        fake.add_chat(USER)
        fake.add_forum(GROUP)
        yield fake


def with_bot(tg: FakeTelegram, scenario: Callable[[Bot], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        async with Bot(TG_TOKEN, base_url=tg.base_url) as bot:
            return await scenario(bot)

    return asyncio.run(run())


def test_send_message_with_html_and_keyboard(tg: FakeTelegram) -> None:
    """sendMessage stores the visible text, the HTML as sent and the inline keyboard."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Approve", callback_data="approve:1")]])

    async def scenario(bot: Bot) -> Any:
        return await bot.send_message(
            USER, "<b>Trip</b> &amp; hotel", parse_mode="HTML", reply_markup=markup
        )

    sent = with_bot(tg, scenario)
    stored = tg.message(USER, sent.message_id)
    assert sent.text == stored["text"] == "Trip & hotel"
    assert stored["raw_text"] == "<b>Trip</b> &amp; hotel"
    assert stored["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "approve:1"
    assert tg.last("sendMessage").params["parse_mode"] == "HTML"


def test_bad_requests_like_the_bot_api(tg: FakeTelegram) -> None:
    """Broken HTML, long text, long callback_data, unknown chats and topics are refused."""
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    attempts: list[dict[str, Any]] = [
        {"chat_id": USER, "text": "<b>open", "parse_mode": "HTML"},
        {"chat_id": USER, "text": "x" * 4097},
        {"chat_id": USER, "text": "x", "reply_markup": too_long},
        {"chat_id": 999, "text": "x"},
        {"chat_id": GROUP, "text": "x", "message_thread_id": 404},
    ]

    async def scenario(bot: Bot) -> list[str]:
        errors = []
        for kwargs in attempts:
            with pytest.raises(BadRequest) as caught:
                await bot.send_message(**kwargs)
            errors.append(caught.value.message.lower())
        return errors

    errors = with_bot(tg, scenario)
    assert "can't parse entities" in errors[0] and "too long" in errors[1]
    assert "button_data_invalid" in errors[2] and "chat not found" in errors[3]
    assert "message thread not found" in errors[4]
    assert tg.messages(USER) == []


def test_forum_topic_then_post_into_it(tg: FakeTelegram) -> None:
    """createForumTopic returns a message_thread_id that sendMessage accepts."""

    async def scenario(bot: Bot) -> int:
        topic = await bot.create_forum_topic(GROUP, "travel")
        await bot.send_message(GROUP, "in topic", message_thread_id=topic.message_thread_id)
        return topic.message_thread_id

    thread = with_bot(tg, scenario)
    assert tg.topics(GROUP) == {thread: "travel"}
    assert [m["text"] for m in tg.messages(GROUP, thread_id=thread)] == ["in topic"]


@pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")  # inside PTB
def test_flood_error_raises_retry_after(tg: FakeTelegram) -> None:
    """fail_next(429) becomes PTB's RetryAfter carrying retry_after; nothing is sent."""
    tg.fail_next("sendMessage", retry_after=3)

    async def scenario(bot: Bot) -> None:
        with pytest.raises(RetryAfter):
            await bot.send_message(USER, "x")

    with_bot(tg, scenario)
    failed = tg.last("sendMessage")
    assert failed.status == 429 and failed.response["parameters"] == {"retry_after": 3}
    assert tg.messages(USER) == []


def test_long_poll_returns_as_soon_as_an_update_arrives(tg: FakeTelegram) -> None:
    """getUpdates waits for its timeout only while the queue is empty."""

    async def scenario(bot: Bot) -> Any:
        polling = asyncio.create_task(bot.get_updates(timeout=60))
        await asyncio.to_thread(tg.wait_for_long_poll)
        tg.push_update(message_update(1, USER, USER, "/status travel"))
        return await asyncio.wait_for(polling, timeout=30)

    (update,) = with_bot(tg, scenario)
    assert update.update_id == 1 and update.message.text == "/status travel"
    assert update.message.entities[0].type == "bot_command"


def test_offset_confirms_and_limit_caps(tg: FakeTelegram) -> None:
    """An offset past an update confirms it; limit caps one answer."""
    for update_id in (1, 2, 3):
        tg.push_update(message_update(update_id, USER, USER, f"m{update_id}"))

    async def scenario(bot: Bot) -> tuple[Any, Any]:
        first = await bot.get_updates(limit=2)
        rest = await bot.get_updates(offset=first[-1].update_id + 1)
        return first, rest

    first, rest = with_bot(tg, scenario)
    assert [u.update_id for u in first] == [1, 2] and [u.update_id for u in rest] == [3]
    assert [u["update_id"] for u in tg.pending_updates()] == [3]


def test_edits_callbacks_commands_and_webhook(tg: FakeTelegram) -> None:
    """Edits drop an omitted keyboard, repeats are "not modified", callbacks answer once,
    commands are stored, and getUpdates conflicts with a webhook."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Approve", callback_data="approve:1")]])

    async def scenario(bot: Bot) -> None:
        sent = await bot.send_message(USER, "card", reply_markup=markup)
        await bot.edit_message_text("approved", chat_id=USER, message_id=sent.message_id)
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("approved", chat_id=USER, message_id=sent.message_id)
        await bot.answer_callback_query("cbq-1", text="Done")
        with pytest.raises(BadRequest, match="query id is invalid"):
            await bot.answer_callback_query("cbq-1")
        await bot.set_my_commands([("board", "Headline board")])
        with pytest.raises(BadRequest, match="(?i)https url"):
            await bot.set_webhook("http://example.com/telegram/webhook")
        await bot.set_webhook("https://example.com/telegram/webhook", secret_token="s3cret")
        with pytest.raises(Conflict):
            await bot.get_updates()
        await bot.delete_webhook()

    with_bot(tg, scenario)
    assert "reply_markup" not in tg.messages(USER)[0]
    assert tg.answered[0]["text"] == "Done"
    assert tg.commands() == [{"command": "board", "description": "Headline board"}]
    assert tg.webhook == {}


def test_topic_message_update_parses_in_ptb() -> None:
    """message_update builds a forum-topic message PTB reads as such."""
    data = message_update(9, GROUP, USER, "Phase: build", thread_id=3, chat_type="supergroup")
    update = Update.de_json(data, None)
    assert update.message.is_topic_message and update.message.message_thread_id == 3
    assert update.message.chat.is_forum and update.message.from_user.id == USER


def test_callback_update_carries_a_stored_message(tg: FakeTelegram) -> None:
    """callback_update wraps a stored message so PTB parses the click back."""

    async def scenario(bot: Bot) -> Any:
        sent = await bot.send_message(USER, "card")
        tg.push_update(callback_update(5, USER, "approve:1", tg.message(USER, sent.message_id)))
        return await bot.get_updates()

    (update,) = with_bot(tg, scenario)
    assert update.callback_query.data == "approve:1"
    assert update.callback_query.message.text == "card"
