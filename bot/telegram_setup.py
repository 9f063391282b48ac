"""The Telegram `Provisioner`: a forum topic per domain in TELEGRAM_CHAT_ID, the bot's commands
(private chats and the group) and its description (CONTRACT §5, §6).

The Bot API cannot list forum topics, so a topic is known by the `message_thread_id` the
kernel remembered when it was created; the kernel's claim makes sure it is created once.
The hub is the group's General topic. Without a group there is nothing to create: posts for
a domain go to the operators' private chats, headed by the domain's name.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)

from bot.telegram_sender import TelegramSender
from orchestrator.canonical import Platform
from orchestrator.channels import HUB
from orchestrator.provisioning import Found, Place, PlaceState

COMMANDS = [
    ("help", "What I can do"),
    ("board", "The headline board of every domain"),
    ("status", "A domain's status doc: /status travel"),
    ("inbox", "Open cross-domain asks: /inbox [domain]"),
    ("brief", "Post a brief now: /brief weekly"),
    ("approvals", "Actions waiting for an operator"),
    ("domains", "The domains and their missions"),
    ("reminders", "Open follow-ups: /reminders [domain]"),
    ("charter", "A domain's charter version: /charter travel"),
    ("memory", "What a domain's agent remembers: /memory travel"),
    ("login", "A sign-in link for the dashboard (operators)"),
]
DESCRIPTION = (
    "ParallelOS runs each area of your life as a domain with its own topic: status docs, "
    "a headline board, cross-domain asks, approvals and briefs. Write to me and I route it."
)
SHORT_DESCRIPTION = "Your domains as staff: status, board, asks, approvals, briefs."


def bot_commands() -> list[BotCommand]:
    return [BotCommand(name, text) for name, text in COMMANDS]


class TelegramProvisioner:
    platform = Platform.TELEGRAM

    def __init__(self, sender: TelegramSender) -> None:
        self.sender = sender
        self.chat_id = sender.settings.telegram_chat_id

    def locate(
        self, places: list[Place], remembered: dict[str, tuple[str, str | None]]
    ) -> dict[str, Found]:
        if self.chat_id is None:
            return {}  # no group: nothing to create
        chat = str(self.chat_id)
        found = {}
        for place in places:
            known = remembered.get(place.domain)
            if place.domain == HUB:
                found[place.domain] = Found(PlaceState.READY, chat, None, "General topic")
            elif known is not None and known[0] == chat and known[1]:
                found[place.domain] = Found(PlaceState.READY, chat, known[1], place.domain)
            else:
                found[place.domain] = Found(PlaceState.MISSING)
        return found

    def create(self, place: Place) -> tuple[str, str | None]:
        return self.sender.ensure_channel(domain=place.domain, name=place.name)

    def furnish(self, place: Place, found: Found) -> None:
        """A topic has only its name, given when it was created."""

    def configure(self) -> None:
        scopes: list[Any] = [BotCommandScopeAllPrivateChats()]
        if self.chat_id is not None:
            scopes.append(BotCommandScopeChat(self.chat_id))
        for scope in scopes:
            self._call(partial(_set_commands, scope=scope))
        self._call(lambda bot: bot.set_my_description(DESCRIPTION))
        self._call(lambda bot: bot.set_my_short_description(SHORT_DESCRIPTION))

    def _call(self, make: Callable[[Bot], Coroutine[Any, Any, Any]]) -> Any:
        return self.sender.call(make)


async def _set_commands(bot: Bot, *, scope: BotCommandScope) -> bool:
    return await bot.set_my_commands(bot_commands(), scope=scope)
