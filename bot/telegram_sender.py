"""`TelegramSender`: the outbox's Sender for Telegram, called from synchronous RQ jobs.

PTB is async-only, so each process runs one asyncio loop in a daemon thread with one `Bot`,
and jobs submit coroutines to it. After a fork (RQ's work horse) the child builds its own.

A post longer than one message goes out as several; `send` returns the ref of the LAST one,
the message that carries the buttons, so edits and clicks refer to the same message. Only the
first is sent as a reply. Telegram cannot look messages up, so `find_sent` is UNKNOWN.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Coroutine
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.error import TelegramError

from bot import telegram_client as client
from bot.markdown import plain as plain_text
from bot.telegram_render import TelegramMessage, render_telegram
from orchestrator.canonical import Platform, Post, SentRef
from orchestrator.outbound import (
    UNKNOWN,
    Destination,
    PermanentFailure,
    RetryLater,
    Unconfirmed,
    Unknown,
)
from orchestrator.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

CALL_TIMEOUT = 30.0  # seconds a job waits for one Bot API call
ANSWER_MAX = 200  # characters of an answerCallbackQuery text
HUB = "hub"
TAIL_WAIT = 30.0  # seconds a long post's later parts may wait out rate limits in the job


class _BotThread:
    """One event loop in a daemon thread, and the Bot living on it (per process)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self.pid = -1
        self.loop: asyncio.AbstractEventLoop | None = None
        self.bot: Bot | None = None

    def run(self, make: Any, timeout: float = CALL_TIMEOUT) -> Any:
        """Run `make(bot)` (a coroutine factory) on the loop and wait for its result."""
        loop, bot = self._ensure()
        future = asyncio.run_coroutine_threadsafe(self._call(make, bot), loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    async def _call(self, make: Any, bot: Bot) -> Any:
        await bot.initialize()  # once: getMe, connection pools; a no-op afterwards
        return await make(bot)

    def _ensure(self) -> tuple[asyncio.AbstractEventLoop, Bot]:
        with self.lock:
            if self.pid != os.getpid() or self.loop is None or self.bot is None:
                self.loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=self.loop.run_forever, name="telegram-sender", daemon=True
                )
                thread.start()
                self.bot = client.make_bot(self.settings)
                self.pid = os.getpid()
            return self.loop, self.bot

    def close(self) -> None:
        with self.lock:
            loop, bot, self.loop, self.bot = self.loop, self.bot, None, None
        if loop is None or bot is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(bot.shutdown(), loop).result(CALL_TIMEOUT)
        finally:
            loop.call_soon_threadsafe(loop.stop)


class TelegramSender:
    platform = Platform.TELEGRAM

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.token = client.token_of(settings)
        self.thread = _BotThread(settings)

    # -- Sender protocol ----------------------------------------------------------------
    def send(self, post: Post, dest: Destination, *, key: str) -> SentRef:
        parts = self._render(post)
        first = self._send_first(parts[0], dest)
        if post.pin:
            self._pin(dest.channel, first.message_id)
        last = first
        for part in parts[1:]:
            sent = self._send_tail(part, dest, key)
            if sent is None:
                break
            last = sent
        return SentRef(channel=dest.channel, message_id=str(last.message_id), thread=dest.thread)

    def edit(self, post: Post, ref: SentRef) -> SentRef:
        parts = self._render(post)
        if len(parts) > 1:
            log.warning("an edit of message %s is longer than one message; cut", ref.message_id)
        part = replace(parts[0], reply_markup=parts[-1].reply_markup)
        with contextlib.suppress(_NotModified):  # the message already says this
            try:
                self._call(self._edit_part(part, ref))
            except _BadEntities:
                log.warning("Telegram refused the HTML of an edit of %s; sent as plain text",
                            ref.message_id)  # fmt: skip
                self._call(self._edit_part(part.as_plain(), ref))
        return ref

    def answer(self, post: Post, callback_ref: str, user: str, dest: Destination) -> None:
        text = answer_text(post)

        def make(bot: Bot) -> Coroutine[Any, Any, bool]:
            return bot.answer_callback_query(callback_ref, text=text or None, show_alert=bool(text))

        try:
            self._call(make)
        except _StaleQuery:
            log.info("callback %s was answered already or is too old", callback_ref)

    def find_sent(self, dest: Destination, *, key: str, since: datetime) -> Unknown:
        return UNKNOWN

    def ensure_channel(self, *, domain: str, name: str) -> tuple[str, str | None]:
        """The group's General topic for the hub; a forum topic named after the domain."""
        chat_id = self.settings.telegram_chat_id
        if chat_id is None:
            raise PermanentFailure("TELEGRAM_CHAT_ID is not set: no group for domain topics")
        if domain == HUB:
            return str(chat_id), None
        topic = self._call(lambda bot: bot.create_forum_topic(chat_id=chat_id, name=domain))
        log.info("created the Telegram forum topic %r (%s)", domain, topic.message_thread_id)
        return str(chat_id), str(topic.message_thread_id)

    def close(self) -> None:
        self.thread.close()

    def call(self, make: Any) -> Any:
        """One Bot API call, `make(bot)`, with errors as the outbox sees them (provisioning)."""
        return self._call(make)

    def _pin(self, chat: str, message_id: int) -> None:
        """Pin a guide once sent; it is out already, so a refusal is logged, not retried."""

        def make(bot: Bot) -> Coroutine[Any, Any, bool]:
            return bot.pin_chat_message(chat, message_id, disable_notification=True)

        try:
            self._call(make)
        except (RetryLater, PermanentFailure) as exc:
            log.warning("could not pin message %s in %s: %s", message_id, chat, exc)

    # -- internals ----------------------------------------------------------------------
    def _render(self, post: Post) -> list[TelegramMessage]:
        try:
            return render_telegram(post)
        except ValueError as exc:
            raise PermanentFailure(f"cannot render for Telegram: {exc}") from exc

    def _send_first(self, part: TelegramMessage, dest: Destination) -> Any:
        """The first message; if Telegram refuses its HTML entities (nothing was sent), the
        same text again without markup, so the user still gets the answer."""
        try:
            return self._call(self._send_part(part, dest, reply=True), sending=True)
        except _BadEntities:
            log.warning("Telegram refused a message's HTML in %s; sent as plain text", dest.channel)
            return self._call(self._send_part(part.as_plain(), dest, reply=True), sending=True)

    def _edit_part(self, part: TelegramMessage, ref: SentRef) -> Any:
        def make(bot: Bot) -> Coroutine[Any, Any, Any]:
            return bot.edit_message_text(
                text=part.text,
                chat_id=ref.channel,
                message_id=int(ref.message_id),
                parse_mode=part.parse_mode,
                reply_markup=_markup(part.reply_markup),
            )

        return make

    def _send_part(self, part: TelegramMessage, dest: Destination, *, reply: bool) -> Any:
        reply_to = dest.reply_to if reply else None

        def make(bot: Bot) -> Coroutine[Any, Any, Message]:
            return bot.send_message(
                chat_id=dest.channel,
                text=part.text,
                parse_mode=part.parse_mode,
                message_thread_id=int(dest.thread) if dest.thread else None,
                reply_parameters=(
                    ReplyParameters(int(reply_to), allow_sending_without_reply=True)
                    if reply_to
                    else None
                ),
                reply_markup=_markup(part.reply_markup),
                link_preview_options=(
                    None if part.link_preview else LinkPreviewOptions(is_disabled=True)
                ),
            )

        return make

    def _send_tail(self, part: TelegramMessage, dest: Destination, key: str) -> Message | None:
        """A later part of a long post: the first is out, so a failure here must not make the
        outbox send the whole post again. Rate limits are waited out briefly; then give up."""
        deadline = time.monotonic() + TAIL_WAIT
        while True:
            try:
                return self._call(self._send_part(part, dest, reply=False), sending=True)
            except _BadEntities:
                if part.parse_mode is None:
                    return None
                part = part.as_plain()
                continue
            except RetryLater as exc:
                if time.monotonic() + exc.seconds > deadline:
                    log.error("post %s: gave up on its later parts: %s", key, exc)
                    return None
                time.sleep(exc.seconds)
            except (PermanentFailure, Unconfirmed) as exc:
                log.error("post %s: a later part failed: %s", key, exc)
                return None

    def _call(self, make: Any, *, sending: bool = False) -> Any:
        try:
            return self.thread.run(make)
        except TelegramError as exc:
            if client.is_not_modified(exc):
                raise _NotModified() from None
            if client.is_stale_query(exc):
                raise _StaleQuery() from None
            if client.is_bad_entities(exc):
                raise _BadEntities() from None
            raise client.delivery_error(exc, token=self.token, sending=sending) from None
        except TimeoutError:
            if sending:
                raise Unconfirmed(f"no answer from Telegram within {CALL_TIMEOUT:.0f}s") from None
            raise RetryLater(client.NETWORK_RETRY, "Telegram did not answer in time") from None


class _NotModified(Exception):
    """editMessageText with the same content: the message already says this."""


class _BadEntities(Exception):
    """Telegram refused the HTML entities: nothing was sent; the plain text may go instead."""


class _StaleQuery(Exception):
    """The callback query was answered already or has expired."""


def _markup(markup: dict[str, Any] | None) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup.de_json(markup, None) if markup else None


def answer_text(post: Post) -> str:
    """Plain text for a callback alert (Telegram shows no markup there), at most 200 chars."""
    lines = ([post.title] if post.title else []) + post.text.splitlines()
    plain = plain_text("\n".join(lines)).strip()
    return plain if len(plain) <= ANSWER_MAX else plain[: ANSWER_MAX - 1].rstrip() + "…"
