"""The agent's answer shown live while the model writes it (the `Progress.answer` side).

Slack: the answer is streamed into the thread where the user asked (`chat.startStream`, then
`chat.appendStream` with what was added since, at most every `STREAM_EVERY` seconds, so deltas
coalesce), and stopped with 👍/👎 feedback buttons (`chat.stopStream`) before the final post. The
stream's message takes the "_Thinking…_" placeholder's place: it is written down through
`LiveTurn.replace` right after `startStream` answers and before anything is appended, then the
placeholder is deleted; the turn's durable final post edits the stream's message. A run of the
turn that finds a stream left by an earlier run (`LiveTurn.orphan`, a worker killed mid-stream)
stops it and edits it instead. Where Slack refuses a stream (a missing scope, a channel type it
does not stream in, a method it does not know), the placeholder is edited with the partial text
at most every `EDIT_EVERY` seconds. A 429 (or `ratelimited`) skips calls until its Retry-After
has passed (the next call carries everything since); nothing here ever sleeps or retries.

Telegram: in a private chat, `sendMessageDraft` previews of the partial text, at most every
`DRAFT_EVERY` seconds; the first one replaces the placeholder (deleted; the final answer is then
sent anew, one `sendMessage`, which takes the draft's place). Elsewhere (a forum topic) the
placeholder is edited at most every `GROUP_EDIT_EVERY` seconds (groups allow ~20 messages a
minute).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from telegram import Bot
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.slack_render import feedback_block, render_slack
from bot.telegram_render import render_telegram
from orchestrator.canonical import InboundEvent, Post, SentRef
from orchestrator.progress import LiveTurn

__all__ = ["Pace", "SlackAnswer", "TelegramAnswer"]

log = logging.getLogger(__name__)

STREAM_EVERY = 0.5  # seconds between appends (chat.appendStream is Tier 4: 100+/min)
EDIT_EVERY = 1.0  # seconds between chat.update edits of a placeholder (1 a second)
DRAFT_EVERY = 1.0  # seconds between Telegram drafts in a private chat
GROUP_EDIT_EVERY = 3.0  # seconds between edits in a Telegram group (20 a minute)
MAX_QUIET = 60.0  # the longest Retry-After honoured by skipping (a preview is worth no more)
MAX_CHUNK = 12_000  # characters of markdown_text in one stream call
MIN_FIRST = 24  # characters of answer before the first live call (a few words, not "He")
MORE = " …"  # after a partial answer shown by an edit
GONE = frozenset({"message_not_found", "cant_delete_message"})

Run = Callable[[Callable[[Bot], Coroutine[Any, Any, Any]], float], Any]


class Pace:
    """At most one call every `every` seconds, and none before a rate limit has passed."""

    def __init__(self, every: float) -> None:
        self.every, self.next_at = every, 0.0

    def due(self) -> bool:
        return time.monotonic() >= self.next_at

    def done(self) -> None:
        self.next_at = time.monotonic() + self.every

    def quiet(self, seconds: float) -> None:
        self.next_at = time.monotonic() + min(max(seconds, self.every), MAX_QUIET)


def _slack_error(exc: SlackApiError) -> tuple[str, float | None]:
    """Slack's error code, and the Retry-After of a rate limit (None when it is not one)."""
    response = exc.response
    error = str(response.get("error") or "") if isinstance(response.data, dict) else ""
    if response.status_code == 429 or error == "ratelimited":
        try:
            return error, float(response.headers.get("Retry-After", "1") or 1)
        except ValueError:
            return error, 1.0
    return error or f"HTTP {response.status_code}", None


class SlackAnswer:
    """One turn's live answer in Slack: a stream, or else edits of the placeholder."""

    def __init__(self, client: WebClient, event: InboundEvent, thread: str, live: LiveTurn,
                 *, turn_id: int) -> None:  # fmt: skip
        self.client, self.event, self.thread, self.live = client, event, thread, live
        self.turn_id = turn_id
        self.head = f"**{live.title}**\n\n" if live.title else ""  # streamed before the answer
        self.ts: str | None = None  # the stream's message, once started
        self.shown = ""  # what the stream (or the last edit) shows
        self.mode = "stream" if live.placeholder is not None else "off"
        self.pace = Pace(STREAM_EVERY)
        if live.orphan is not None:  # an earlier run's stream: close it, then edit it
            self._stop(live.orphan.channel, live.orphan.message_id, "left by an earlier run")
            self.mode, self.pace = "edit", Pace(EDIT_EVERY)

    def answer(self, text: str) -> None:
        if self.mode == "off" or not self.pace.due() or len(text) < MIN_FIRST:
            return
        if self.mode == "edit":
            self._edit(text)
        elif self.ts is None:
            self._start(self.head + text)
        else:
            self._append(self.head + text)

    def close(self) -> None:
        if self.ts is not None and self.mode in ("stream", "frozen"):
            self._stop(
                self.event.channel, self.ts, "done", blocks=[feedback_block(str(self.turn_id))]
            )
            self.mode = "off"

    # -- the stream ---------------------------------------------------------------------
    def _start(self, text: str) -> None:
        try:
            started = self.client.chat_startStream(
                channel=self.event.channel, thread_ts=self.thread,
                recipient_user_id=self.event.user, recipient_team_id=self.event.workspace,
                markdown_text=text[:MAX_CHUNK],
            )  # fmt: skip
        except SlackApiError as exc:
            error, wait = _slack_error(exc)
            if wait is not None:
                self.pace.quiet(wait)
                return
            log.info("slack stream refused (%s): editing the placeholder instead", error)
            self.mode, self.pace = "edit", Pace(EDIT_EVERY)
            self._edit(text.removeprefix(self.head))
            return
        self.ts = str(started["ts"])
        if not self._replaced(SentRef(channel=self.event.channel, message_id=self.ts,
                                      thread=self.thread)):  # fmt: skip
            return
        self.shown = text[:MAX_CHUNK]
        self.pace.done()
        assert self.live.placeholder is not None
        self._delete(self.live.placeholder)

    def _replaced(self, ref: SentRef) -> bool:
        """Write the stream down as the placeholder's successor; else take it back at once."""
        try:
            self.live.replace(ref)
            return True
        except Exception as exc:
            log.warning("slack stream not recorded (%s): removed", type(exc).__name__)
            self._stop(ref.channel, ref.message_id, "not recorded")
            self._delete(ref)
            self.ts, self.mode = None, "off"
            return False

    def _append(self, text: str) -> None:
        if not text.startswith(self.shown):
            if not self.shown.startswith(text):  # the model started over: the final post fixes it
                self.mode = "frozen"
            return
        delta = text[len(self.shown) :][:MAX_CHUNK]
        if not delta:
            return
        assert self.ts is not None
        try:
            self.client.chat_appendStream(channel=self.event.channel, ts=self.ts,
                                          markdown_text=delta)  # fmt: skip
        except SlackApiError as exc:
            error, wait = _slack_error(exc)
            if wait is not None:
                log.info("slack append skipped (rate limited for %.0f s)", wait)
                self.pace.quiet(wait)
                return
            log.info("slack append refused (%s): the final post shows the answer", error)
            self.mode = "frozen"
            return
        self.shown += delta
        self.pace.done()

    def _stop(self, channel: str, ts: str, why: str, **extra: Any) -> None:
        try:
            self.client.chat_stopStream(channel=channel, ts=ts, **extra)
        except SlackApiError as exc:  # already stopped, or gone: nothing is left open
            log.info("slack stream %s not stopped (%s)", why, _slack_error(exc)[0])

    # -- the fallback -------------------------------------------------------------------
    def _edit(self, text: str) -> None:
        target = self.live.placeholder
        if target is None or text == self.shown:
            return
        try:
            post = Post(text=text + MORE, title=self.live.title)
            self.client.chat_update(channel=target.channel, ts=target.message_id,
                                    **render_slack(post))  # fmt: skip
        except SlackApiError as exc:
            error, wait = _slack_error(exc)
            if wait is not None:
                self.pace.quiet(wait)
                return
            log.info("slack live edit refused (%s): none more this turn", error)
            self.mode = "off"
            return
        self.shown = text
        self.pace.done()

    def _delete(self, ref: SentRef) -> None:
        try:
            self.client.chat_delete(channel=ref.channel, ts=ref.message_id)
        except SlackApiError as exc:
            log.info("slack placeholder not deleted (%s)", _slack_error(exc)[0])


class TelegramAnswer:
    """One turn's live answer in Telegram: drafts in a private chat, else placeholder edits."""

    def __init__(self, run: Run, event: InboundEvent, live: LiveTurn, *, draft: int,
                 topic: int | None) -> None:  # fmt: skip
        self.run, self.live, self.draft, self.topic = run, live, draft, topic
        self.chat, self.private = int(event.channel), event.is_direct
        self.pace = Pace(DRAFT_EVERY if self.private else GROUP_EDIT_EVERY)
        self.placeholder = live.placeholder  # still to be replaced (private) or edited
        self.on = self.private or live.placeholder is not None
        self.shown = ""

    def answer(self, text: str) -> None:
        if not self.on or not self.pace.due() or text == self.shown or len(text) < MIN_FIRST:
            return
        try:
            if self.private:
                self._draft(text)
            else:
                self._edit(text)
        except RetryAfter as exc:
            wait = exc.retry_after
            self.pace.quiet(wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait))
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            self.on = False
            log.info("telegram live answer refused (%s): none more this turn", exc)
            return
        except (TelegramError, TimeoutError) as exc:
            log.info("telegram live answer not shown (%s)", type(exc).__name__)
            return
        self.shown = text
        self.pace.done()

    def _draft(self, text: str) -> None:
        part = render_telegram(Post(text=text, title=self.live.title))[0]
        self.run(lambda bot: bot.send_message_draft(
            chat_id=self.chat, draft_id=self.draft, text=part.text, parse_mode=part.parse_mode,
            message_thread_id=self.topic,
        ), 3.0)  # fmt: skip
        if self.placeholder is not None:  # the draft shows now: the placeholder goes
            placeholder, self.placeholder = self.placeholder, None
            try:
                self.live.replace(None)
            except Exception as exc:
                log.warning(
                    "telegram draft not recorded (%s): placeholder kept", type(exc).__name__
                )
                return
            self._delete(placeholder)

    def _edit(self, text: str) -> None:
        target = self.placeholder
        assert target is not None
        part = render_telegram(Post(text=text + MORE, title=self.live.title))[0]
        self.run(lambda bot: bot.edit_message_text(
            chat_id=self.chat, message_id=int(target.message_id), text=part.text,
            parse_mode=part.parse_mode,
        ), 3.0)  # fmt: skip

    def _delete(self, ref: SentRef) -> None:
        try:
            self.run(lambda bot: bot.delete_message(chat_id=self.chat,
                                                    message_id=int(ref.message_id)), 3.0)  # fmt: skip
        except (TelegramError, TimeoutError) as exc:
            log.info("telegram placeholder not deleted (%s)", type(exc).__name__)
