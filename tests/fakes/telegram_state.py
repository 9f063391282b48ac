"""Shared bits of the fake Bot API: the error type and parameter decoding."""

from __future__ import annotations

import json
import re
from typing import Any

CALLBACK_DATA_MAX = 64  # bytes, UTF-8
TEXT_MAX = 4096  # characters after entity parsing
JSON_PARAMS = {
    "reply_markup", "commands", "scope", "allowed_updates", "reply_parameters",
    "link_preview_options", "entities",
}  # fmt: skip
INT_PARAMS = {
    "message_id", "message_thread_id", "offset", "limit", "timeout", "reply_to_message_id",
    "icon_color", "max_connections",
}  # fmt: skip
BOOL_PARAMS = {
    "disable_notification", "show_alert", "drop_pending_updates", "protect_content",
    "allow_sending_without_reply",
}  # fmt: skip
DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class TelegramError(Exception):
    """`{"ok": false, "error_code": ..., "description": ...}` with that HTTP status."""

    def __init__(self, description: str, error_code: int = 400, **parameters: Any) -> None:
        super().__init__(description)
        self.description, self.error_code, self.parameters = description, error_code, parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> TelegramError:
    return TelegramError(f"Bad Request: {reason}")


def decode(params: dict[str, Any]) -> dict[str, Any]:
    """Form values are strings (objects JSON-encoded, as PTB sends them); give them types."""
    decoded = dict(params)
    for name, value in params.items():
        if not isinstance(value, str):
            continue
        try:
            if name in JSON_PARAMS:
                decoded[name] = json.loads(value) if value else None
            elif name in INT_PARAMS or (name == "chat_id" and re.fullmatch(r"-?\d+", value)):
                decoded[name] = int(value)
            elif name in BOOL_PARAMS:
                decoded[name] = value.lower() in ("true", "1")
        except ValueError as exc:
            raise bad_request(f"can't parse {name}") from exc
    return decoded


def keyboard_error(markup: Any) -> str | None:
    """Why Telegram refuses an inline keyboard, or None."""
    if markup is None:
        return None
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if rows is None:
        return None if isinstance(markup, dict) else "can't parse reply keyboard markup JSON object"
    for row in rows:
        for button in row:
            if not button.get("text"):
                return "text buttons are unallowed in the inline keyboard"
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_MAX:
                return "BUTTON_DATA_INVALID"
            if data is None and not set(button) & {
                "url",
                "switch_inline_query",
                "pay",
                "web_app",
                "login_url",
                "copy_text",
            }:
                return "text buttons are unallowed in the inline keyboard"
    return None
