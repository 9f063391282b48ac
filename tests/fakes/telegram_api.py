"""FakeTelegram: a local Bot API server the real python-telegram-bot `Bot` talks to.

with FakeTelegram() as tg:
    tg.add_chat(4567)  # a private chat (its id is the user's id)
    bot = Bot(token="123:ABC", base_url=tg.base_url)
    async with bot:
        await bot.send_message(chat_id=4567, text="<b>hi</b>", parse_mode="HTML")
    assert tg.messages(4567)[0]["text"] == "hi"  # what the user sees
"""

from __future__ import annotations

import copy
import itertools
import re
import time
from collections.abc import Callable
from typing import Any

from tests.fakes import telegram_payloads
from tests.fakes.files import FileStore, telegram_file
from tests.fakes.http import DEFAULT_WAIT, FakeHTTPServer, Reply
from tests.fakes.telegram_admin import AdminMethods
from tests.fakes.telegram_msgs import MessageMethods
from tests.fakes.telegram_state import DESCRIPTIONS, TelegramError, decode

_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
_FILE_PATH = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")
FILE_DOWNLOAD = "file"  # not a Bot API method: a download from the file URL
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)


class FakeTelegram(MessageMethods, AdminMethods, FakeHTTPServer):
    """Bot API stand-in: chats, forum topics, messages, commands, webhook and an update queue."""

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_id: int = 7000000001,
        username: str = "parallelos_bot",
        first_name: str = "ParallelOS",
        local_server: bool = False,
    ) -> None:
        super().__init__()
        self.token = token  # None: any token in the path passes
        self.local_server = local_server  # `telegram-bot-api --local`: http webhooks allowed
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._chats: dict[int | str, dict[str, Any]] = {}
        self._messages: dict[int | str, list[dict[str, Any]]] = {}
        self._message_ids: dict[int | str, itertools.count[int]] = {}
        self._topics: dict[int | str, dict[int, str]] = {}
        self._commands: dict[str, list[dict[str, str]]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._polls = 0  # getUpdates calls waiting right now
        self._poll_generation = 0
        self.webhook: dict[str, Any] = {}
        self.answered: list[dict[str, Any]] = []  # answerCallbackQuery params, in order
        self.about: dict[tuple[str, str], str] = {}  # (description|short_description, language)
        self.pins: dict[int | str, list[int]] = {}  # chat id -> pinned message ids
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            **self._message_methods(),
            **self._admin_methods(),
            "getUpdates": self._get_updates,
            "getFile": self._get_file,
        }
        self.files = FileStore()  # getFile and the downloads from /file/bot<token>/<path>
        self._canonical = {name.lower(): name for name in self._methods}

    @property
    def base_url(self) -> str:
        """For `Bot(token, base_url=...)`: PTB appends the token and the method."""
        return f"{self.origin}/bot"

    # set-up and inspection -------------------------------------------------------------
    def add_chat(
        self,
        chat_id: int,
        chat_type: str = "private",
        *,
        title: str = "ParallelOS",
        is_forum: bool = False,
    ) -> int:
        """Make a chat known (Telegram answers "chat not found" for others); returns its id."""
        with self._lock:
            self._remember(
                telegram_payloads.chat(chat_id, chat_type, title=title, is_forum=is_forum)
            )
            return chat_id

    def add_forum(self, chat_id: int = -1001234567890, title: str = "ParallelOS") -> int:
        """A forum supergroup the bot administers (createForumTopic works there)."""
        return self.add_chat(chat_id, "supergroup", title=title, is_forum=True)

    def topics(self, chat_id: int) -> dict[int, str]:
        """message_thread_id -> name of the chat's forum topics."""
        with self._lock:
            return dict(self._topics.get(chat_id, {}))

    def messages(self, chat_id: int, thread_id: int | None = None) -> list[dict[str, Any]]:
        """Bot messages in a chat (a topic only, when given), oldest first, as Telegram stores
        them (`text` is the visible text) plus `raw_text` and `parse_mode` as sent."""
        with self._lock:
            found = self._messages.get(chat_id, [])
            if thread_id is not None:
                found = [m for m in found if m.get("message_thread_id") == thread_id]
            return copy.deepcopy(found)

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """One stored bot message (KeyError when absent)."""
        for found in self.messages(chat_id):
            if found["message_id"] == message_id:
                return found
        raise KeyError((chat_id, message_id))

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        """What setMyCommands registered for that scope and language."""
        with self._lock:
            return self._get_commands({"scope": scope, "language_code": language_code})

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates (update_id assigned when missing); returns the id."""
        with self._changed:
            update = copy.deepcopy(update)
            update.setdefault("update_id", next(self._update_ids))
            for message in (update.get("message"), update.get("callback_query", {}).get("message")):
                if message:
                    self._remember(message["chat"])
            self._updates.append(update)
            self._changed.notify_all()
            return update["update_id"]

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._lock:
            return copy.deepcopy(self._updates)

    def wait_for_long_poll(self, count: int = 1, timeout: float = DEFAULT_WAIT) -> None:
        """Block until `count` getUpdates calls are waiting for updates (deadline: timeout)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._polls >= count, timeout):
                raise AssertionError(f"no {count} waiting getUpdates within {timeout}s")

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        migrate_to_chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with a Bot API error; state unchanged."""
        parameters: dict[str, Any] = {}
        if error_code == 429 or retry_after is not None:
            parameters["retry_after"] = retry_after if retry_after is not None else 1
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        default = DESCRIPTIONS.get(error_code, "Error")
        if error_code == 429:
            default = f"Too Many Requests: retry after {parameters['retry_after']}"
        error = TelegramError(description or default, error_code, **parameters)
        self._script(method, Reply(error.body(), error_code), times)

    # serving ---------------------------------------------------------------------------
    def _route(self, path: str) -> str | None:
        if _FILE_PATH.match(path):
            return FILE_DOWNLOAD
        match = _PATH.match(path)
        if not match:
            return None
        return self._canonical.get(match["method"].lower(), match["method"])

    def _handle(
        self, method: str, params: dict[str, Any], headers: dict[str, str], path: str
    ) -> Reply:
        if method == FILE_DOWNLOAD:
            return self._download(path)
        token = _PATH.match(path)["token"]  # type: ignore[index]
        try:
            if self.token is not None and token != self.token:
                raise TelegramError("Unauthorized", 401)
            handler = self._methods.get(method)
            if handler is None:
                raise TelegramError("Not Found", 404)
            return Reply({"ok": True, "result": handler(decode(params))})
        except TelegramError as exc:
            return Reply(exc.body(), exc.error_code)

    def add_file(self, data: bytes, *, name: str | None = None, mime: str | None = None) -> str:
        """A file a user sent: its file_id (getFile then serves it, as the Bot API)."""
        return self.files.add(data, prefix="AgAD", name=name, mime=mime).file_id

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise TelegramError("Bad Request: invalid file_id", 400)
        if len(stored.data) > 20 * 1024 * 1024 and not self.local_server:
            raise TelegramError("Bad Request: file is too big", 400)
        return telegram_file(stored)

    def _download(self, path: str) -> Reply:
        match = _FILE_PATH.match(path)
        assert match is not None
        if self.token is not None and match["token"] != self.token:
            return Reply({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        return self.files.download(self.files.by_path(match["path"]))

    def _remember(self, chat: dict[str, Any]) -> None:
        known = self._chats.setdefault(chat["id"], copy.deepcopy(chat))
        known.update({k: v for k, v in chat.items() if k == "is_forum" and v})
        self._messages.setdefault(chat["id"], [])

    def _next_message_id(self, chat_id: int | str) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook:
            raise TelegramError(CONFLICT_WEBHOOK, 409)
        offset, limit = params.get("offset") or 0, min(max(params.get("limit") or 100, 1), 100)
        if offset < 0:
            del self._updates[: max(len(self._updates) + offset, 0)]
        elif offset:
            self._updates[:] = [u for u in self._updates if u["update_id"] >= offset]
        allowed = set(params.get("allowed_updates") or ())

        def visible() -> list[dict[str, Any]]:
            return [u for u in self._updates if not allowed or set(u) & allowed]

        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + (params.get("timeout") or 0)
        self._polls += 1
        self._changed.notify_all()
        try:
            while not visible() and not self._stopping.is_set():
                if generation != self._poll_generation:
                    raise TelegramError(CONFLICT_POLL, 409)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
        finally:
            self._polls -= 1
            self._changed.notify_all()
        found = visible()
        return copy.deepcopy(found[:limit])
