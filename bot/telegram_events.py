"""Telegram updates -> canonical `InboundEvent`: pure functions, no network.

An update becomes at most one event, keyed by its `update_id`. Messages from bots (the bot's
own posts included), service messages and updates of other kinds become None: the edge
acknowledges and drops them. A message in a forum topic carries the topic's id as `thread`,
so the orchestrator can find the domain that topic belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from telegram import CallbackQuery, Message, Update

from bot.actions import decode_action
from bot.telegram_media import media_of
from orchestrator.canonical import EventKind, InboundEvent, Platform

ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
EDIT = "an edit"  # an edited message: answered, not applied
_COMMAND = re.compile(r"^/(?P<name>[A-Za-z0-9_]{1,32})(?:@(?P<bot>[A-Za-z0-9_]+))?(?:\s+|$)")
ALIASES = {"start": "help"}  # Telegram sends /start when a user first opens the bot


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is: its user id, and its @username once getMe has answered."""

    id: int
    username: str | None = None

    @classmethod
    def from_token(cls, token: str) -> BotIdentity:
        """The id is the token's numeric prefix, so it is known before getMe answers."""
        head = token.split(":", 1)[0]
        return cls(int(head) if head.isdigit() else 0)


def to_event(update: Update, me: BotIdentity) -> InboundEvent | None:
    """The canonical event for an update, or None when it is nothing for the orchestrator."""
    if update.message is not None:
        return message_event(update.update_id, update.message, me)
    if update.edited_message is not None:
        return edit_event(update.update_id, update.edited_message, me)
    if update.callback_query is not None:
        return callback_event(update.update_id, update.callback_query, me)
    return None


def callback_id(update: Update) -> str | None:
    """The callback query an update carries (it must be answered, whatever happens to it)."""
    return update.callback_query.id if update.callback_query is not None else None


def message_event(update_id: int, message: Message, me: BotIdentity) -> InboundEvent | None:
    """A person's message: its text (or caption), its files, or what it has that is unusable.

    A message from an anonymous admin (`sender_chat` is the group itself; `from` is Telegram's
    GroupAnonymousBot, a bot) becomes an event marked `anonymous`: it is answered, never
    applied. One posted on behalf of a channel, or by a bot, becomes None."""
    sender = message.from_user
    if message.sender_chat is not None:
        if message.sender_chat.id != message.chat.id or sender is None:
            return None  # posted on behalf of a channel, not by a person
        return _event(update_id, message, me, anonymous=True)
    if sender is None or sender.is_bot or sender.id == me.id or message.via_bot:
        return None
    files, unsupported = media_of(message)
    text = message.text or message.caption or ""
    if not text and not files and unsupported is None:
        return None  # a service message (a member joined, a topic was created...)
    command = parse_command(text, me) if not files and unsupported is None else None
    if command is not None:
        name, args = command
        if not name:
            return None  # a command addressed to another bot
        return _event(update_id, message, me, kind=EventKind.COMMAND, command=name, text=args)
    return _event(update_id, message, me, attachments=files, unsupported=unsupported)


def edit_event(update_id: int, message: Message, me: BotIdentity) -> InboundEvent | None:
    """An edited message: answered with one line (edits are not applied), like an unusable
    message; a bot's edit, or a channel's, becomes None."""
    sender = message.from_user
    if sender is None or sender.is_bot or message.sender_chat is not None:
        return None
    return _event(update_id, message, me, unsupported=EDIT)


def _event(
    update_id: int,
    message: Message,
    me: BotIdentity,
    *,
    kind: EventKind = EventKind.MESSAGE,
    text: str | None = None,
    **extra: Any,
) -> InboundEvent:
    sender = message.from_user
    assert sender is not None
    direct = message.chat.type == "private"
    raw = message.text or message.caption or ""
    anonymous = bool(extra.get("anonymous"))
    mentioned = not direct and (mentions(raw, me) or replies_to_bot(message, me))
    return InboundEvent(
        platform=Platform.TELEGRAM,
        external_id=str(update_id),
        kind=kind,
        user=str(sender.id),
        user_name=None if anonymous else sender.full_name or sender.username,
        channel=str(message.chat.id),
        thread=topic_of(message),
        message_ref=str(message.message_id),
        is_direct=direct,
        text=text if text is not None else strip_mention(raw, me),
        mentions_bot=mentioned if kind is EventKind.MESSAGE else False,
        **extra,
    )


def callback_event(update_id: int, query: CallbackQuery, me: BotIdentity) -> InboundEvent | None:
    """A button click: `callback_data` is `action:value` (bot.actions)."""
    message = query.message
    if message is None or not query.data or query.from_user.is_bot:
        return None
    try:
        action, value = decode_action(query.data)
    except ValueError:
        return None
    return InboundEvent(
        platform=Platform.TELEGRAM,
        external_id=str(update_id),
        kind=EventKind.ACTION,
        user=str(query.from_user.id),
        user_name=query.from_user.full_name or query.from_user.username,
        channel=str(message.chat.id),
        thread=topic_of(message) if isinstance(message, Message) else None,
        is_direct=message.chat.type == "private",
        action_id=action,
        action_value=value,
        action_message_ref=str(message.message_id),
        action_callback_ref=query.id,
    )


def topic_of(message: Message) -> str | None:
    """The forum topic's id; None in the General topic and outside forums."""
    if message.is_topic_message and message.message_thread_id is not None:
        return str(message.message_thread_id)
    return None


def parse_command(text: str, me: BotIdentity) -> tuple[str, str] | None:
    """("status", "travel") for `/status travel` or `/status@bot travel`; None for no command;
    ("", "") for a command addressed to another bot."""
    match = _COMMAND.match(text)
    if match is None:
        return None
    addressed = match["bot"]
    if addressed and (me.username is None or addressed.lower() != me.username.lower()):
        return "", ""
    name = match["name"].lower()
    return ALIASES.get(name, name), text[match.end() :].strip()


def mentions(text: str, me: BotIdentity) -> bool:
    return me.username is not None and _mention(me).search(text) is not None


def strip_mention(text: str, me: BotIdentity) -> str:
    """The text without `@botname`, so the router reads only what the person asked."""
    if me.username is None:
        return text
    return " ".join(_mention(me).sub(" ", text).split()) or text


def replies_to_bot(message: Message, me: BotIdentity) -> bool:
    """A reply to one of the bot's messages (not the topic's creation notice, which every
    message in a bot-created topic "replies" to)."""
    replied = message.reply_to_message
    if replied is None or replied.forum_topic_created is not None:
        return False
    return replied.from_user is not None and replied.from_user.id == me.id


def _mention(me: BotIdentity) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w@])@{re.escape(me.username or '')}\b", re.IGNORECASE)
