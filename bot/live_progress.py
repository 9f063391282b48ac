"""Live progress while an agent turn works (the kernel's `orchestrator.progress` port).

Slack: in a DM (every user message there is an assistant thread root),
`assistant.threads.setStatus` shows "is thinking…", then what each tool step does, and is
cleared (empty status) at the end. A refusal (not an assistant thread, no `assistant:write` /
`chat:write` scope) turns it off for the turn, silently: the "_Thinking…_" placeholder remains.
A 429 skips that status (and the next ones until its Retry-After), never retried or waited on.

Telegram: `sendChatAction` "typing" at the start and every `TYPING_EVERY` seconds from a
background thread until the turn is done (an action shows for 5 s); in private chats,
`sendMessageDraft` previews the status line. The final answer is the outbox's one sendMessage.

The answer itself is shown live by `bot.live_answer` (a Slack stream, Telegram drafts, or an
edited placeholder). Every call has a short timeout and raises nothing into the turn
(`orchestrator.progress.Safe`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import RetryAfter, TelegramError

from bot.live_answer import SlackAnswer, TelegramAnswer
from orchestrator.canonical import InboundEvent, Platform
from orchestrator.progress import LiveTurn, Progress
from orchestrator.settings import Settings

__all__ = ["SlackLive", "SlackProgress", "SlackStatus", "TelegramLive", "TelegramProgress"]

log = logging.getLogger(__name__)

TIMEOUT = 3.0  # seconds: a status is worth little after that
TYPING_EVERY = 4.5  # seconds between typing actions (Telegram shows one for 5 s)


class SlackStatus:
    """The status of one assistant thread for one turn."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str) -> None:
        self.client, self.channel, self.thread_ts = client, channel, thread_ts
        self.off = False  # refused once: nothing more this turn
        self.shown = False
        self.quiet_until = 0.0  # after a 429: skip statuses until then

    def status(self, text: str) -> None:
        if self.off or time.monotonic() < self.quiet_until:
            return
        if self._set(text):
            self.shown = True

    def done(self) -> None:
        if self.shown and not self.off:
            self.shown = not self._set("")  # one try; Slack clears it by itself after 2 min

    def _set(self, text: str) -> bool:
        try:
            self.client.assistant_threads_setStatus(
                channel_id=self.channel, thread_ts=self.thread_ts, status=text
            )
            return True
        except SlackApiError as exc:
            if exc.response.status_code == 429:
                wait = float(exc.response.headers.get("Retry-After", "1") or 1)
                self.quiet_until = time.monotonic() + min(wait, 60.0)
                log.info("slack status skipped (rate limited for %.0f s)", wait)
            else:
                self.off = True
                log.info("slack status refused (%s): none this turn", exc.response.get("error"))
            return False


class SlackLive:
    """A turn's status (in a DM's assistant thread) and its live answer (anywhere)."""

    def __init__(self, status: SlackStatus | None, answer: SlackAnswer) -> None:
        self._status, self._answer = status, answer

    def status(self, text: str) -> None:
        if self._status is not None:
            self._status.status(text)

    def answer(self, text: str) -> None:
        self._answer.answer(text)

    def close(self) -> None:
        self._answer.close()

    def done(self) -> None:
        self._answer.close()
        if self._status is not None:
            self._status.done()


class SlackProgress:
    """Opens a `SlackLive` for a turn: a status in a DM, and the answer streamed."""

    def __init__(self, settings: Settings, *, client: WebClient | None = None) -> None:
        token = settings.slack_bot_token
        self.client = client or WebClient(
            token=token.get_secret_value() if token is not None else None,
            base_url=settings.slack_api_url,
            timeout=int(TIMEOUT),
            retry_handlers=[],  # a status is never retried
        )

    def open(self, event: InboundEvent, *, turn_id: int, live: LiveTurn) -> Progress | None:
        thread = event.thread or event.message_ref
        if event.platform is not Platform.SLACK or not thread:
            return None
        status = SlackStatus(self.client, event.channel, thread) if event.is_direct else None
        return SlackLive(status, SlackAnswer(self.client, event, thread, live, turn_id=turn_id))


Run = Callable[[Callable[[Bot], Coroutine[Any, Any, Any]], float], Any]


class TelegramLive:
    """Typing (repeated) and, in a private chat, a draft preview for one turn."""

    def __init__(
        self, run: Run, chat: int, topic: int | None, *, private: bool, draft: int,
        answer: TelegramAnswer | None = None,
    ) -> None:  # fmt: skip
        self.run, self.chat, self.topic = run, chat, topic
        self.drafts, self.draft_id = private, draft
        self._answer = answer
        self.stopped = threading.Event()
        self.typing = threading.Thread(target=self._keep_typing, daemon=True, name="tg-typing")
        self.typing.start()

    def status(self, text: str) -> None:
        if not self.drafts or self.stopped.is_set():
            return
        if self._answer is not None and self._answer.shown:
            return  # the draft shows the answer now; a status line would hide it
        try:
            self.run(lambda bot: bot.send_message_draft(
                chat_id=self.chat, draft_id=self.draft_id, text=text,
                message_thread_id=self.topic,
            ), TIMEOUT)  # fmt: skip
        except RetryAfter:
            log.info("telegram draft skipped (rate limited)")
        except TelegramError as exc:
            self.drafts = False
            log.info("telegram draft refused (%s): none this turn", type(exc).__name__)

    def answer(self, text: str) -> None:
        if self._answer is not None and not self.stopped.is_set():
            self._answer.answer(text)

    def close(self) -> None:
        return None  # a draft needs no closing: the final message takes its place

    def done(self) -> None:
        self.stopped.set()

    def _keep_typing(self) -> None:
        while not self.stopped.is_set():
            try:
                self.run(lambda bot: bot.send_chat_action(
                    chat_id=self.chat, action=ChatAction.TYPING, message_thread_id=self.topic,
                ), TIMEOUT)  # fmt: skip
            except Exception as exc:  # best effort; the next one may pass
                log.info("telegram typing not shown (%s)", type(exc).__name__)
            self.stopped.wait(TYPING_EVERY)


class TelegramProgress:
    """Opens a `TelegramLive` for each turn, on the sender's own loop and `Bot`."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def open(self, event: InboundEvent, *, turn_id: int, live: LiveTurn) -> Progress | None:
        if event.platform is not Platform.TELEGRAM:
            return None
        topic = int(event.thread) if event.thread and event.thread.isdigit() else None
        answer = TelegramAnswer(self.run, event, live, draft=turn_id, topic=topic)
        return TelegramLive(
            self.run, int(event.channel), topic, private=event.is_direct, draft=turn_id,
            answer=answer,
        )  # fmt: skip
