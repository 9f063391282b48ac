"""Builders for incoming Telegram updates (what getUpdates or the webhook delivers)."""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?")
_callback_ids = itertools.count(1)


def user(user_id: int, *, first_name: str = "Alice", username: str | None = None) -> dict:
    found: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        found["username"] = username
    return found


def chat(
    chat_id: int, chat_type: str = "private", *, title: str = "ParallelOS", is_forum: bool = False
) -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": "Alice"}
    found: dict[str, Any] = {"id": chat_id, "type": chat_type, "title": title}
    if is_forum:
        found["is_forum"] = True
    return found


def message_update(
    update_id: int,
    chat_id: int,
    user_id: int,
    text: str,
    thread_id: int | None = None,
    chat_type: str = "private",
    is_topic: bool | None = None,
    *,
    is_forum: bool | None = None,
    message_id: int | None = None,
    first_name: str = "Alice",
    username: str | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """An update carrying a text message; a leading /command gets its bot_command entity.

    A supergroup is a forum unless `is_forum=False`; `is_topic` defaults to "has a thread".
    """
    is_topic = thread_id is not None if is_topic is None else is_topic
    is_forum = (chat_type == "supergroup" or is_topic) if is_forum is None else is_forum
    message: dict[str, Any] = {
        "message_id": message_id if message_id is not None else update_id,
        "date": date if date is not None else int(time.time()),
        "chat": chat(chat_id, chat_type, is_forum=is_forum),
        "from": user(user_id, first_name=first_name, username=username),
        "text": text,
    }
    if thread_id is not None:
        message["message_thread_id"] = thread_id
    if is_topic:
        message["is_topic_message"] = True
    command = _COMMAND.match(text)
    if command:
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
    return {"update_id": update_id, "message": message}


def callback_update(
    update_id: int,
    user_id: int,
    data: str,
    message: dict[str, Any],
    *,
    callback_id: str | None = None,
    first_name: str = "Alice",
) -> dict[str, Any]:
    """An inline-button click on `message` (a Message dict, e.g. from FakeTelegram.message)."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": callback_id or f"cbq-{next(_callback_ids)}",
            "from": user(user_id, first_name=first_name),
            "message": {k: v for k, v in message.items() if k not in ("raw_text", "parse_mode")},
            "chat_instance": "fake-chat-instance",
            "data": data,
        },
    }
