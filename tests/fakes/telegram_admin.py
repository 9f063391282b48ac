"""Bot-level methods of FakeTelegram: getMe, getChat, commands, webhook (a mixin)."""

from __future__ import annotations

import copy
import json
import re
from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_state import bad_request

if TYPE_CHECKING:
    from tests.fakes.telegram_api import FakeTelegram

COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
DESCRIPTION_MAX = 512
SHORT_DESCRIPTION_MAX = 120
SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def scope_key(scope: Any, language_code: Any) -> str:
    return json.dumps([scope or {"type": "default"}, language_code or ""], sort_keys=True)


class AdminMethods:
    """getMe, getChat, sendChatAction, set/get/deleteMyCommands, set/delete/getWebhookInfo."""

    def _admin_methods(self: FakeTelegram) -> dict[str, Any]:
        return {
            "getMe": lambda params: self.bot_user,
            "getChat": lambda params: copy.deepcopy(self._chat(params)),
            "sendChatAction": lambda params: bool(self._chat(params)),
            "setMyCommands": self._set_commands,
            "getMyCommands": self._get_commands,
            "deleteMyCommands": self._delete_commands,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
            "setMyDescription": lambda p: self._set_about(p, "description", DESCRIPTION_MAX),
            "getMyDescription": lambda p: self._get_about(p, "description"),
            "setMyShortDescription": lambda p: self._set_about(
                p, "short_description", SHORT_DESCRIPTION_MAX
            ),
            "getMyShortDescription": lambda p: self._get_about(p, "short_description"),
        }

    def _set_about(self: FakeTelegram, params: dict[str, Any], field: str, limit: int) -> bool:
        """setMyDescription / setMyShortDescription: per language, empty removes it."""
        text = str(params.get(field) or "")
        if len(text) > limit:
            raise bad_request(f"{field} is too long")
        self.about[(field, str(params.get("language_code") or ""))] = text
        return True

    def _get_about(self: FakeTelegram, params: dict[str, Any], field: str) -> dict[str, str]:
        return {field: self.about.get((field, str(params.get("language_code") or "")), "")}

    def _set_commands(self: FakeTelegram, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands")
        for command in commands:
            if not COMMAND.match(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description is invalid")
        key = scope_key(params.get("scope"), params.get("language_code"))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_commands(self: FakeTelegram, params: dict[str, Any]) -> list[dict[str, str]]:
        key = scope_key(params.get("scope"), params.get("language_code"))
        return copy.deepcopy(self._commands.get(key, []))

    def _delete_commands(self: FakeTelegram, params: dict[str, Any]) -> bool:
        self._commands.pop(scope_key(params.get("scope"), params.get("language_code")), None)
        return True

    def _set_webhook(self: FakeTelegram, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if url and not url.startswith("https://") and not self.local_server:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if secret is not None and not SECRET.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = (
            {"url": url, "secret_token": secret, "allowed_updates": params.get("allowed_updates")}
            if url
            else {}
        )
        return True

    def _delete_webhook(self: FakeTelegram, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {}
        return True

    def _webhook_info(self: FakeTelegram, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info
