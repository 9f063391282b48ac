"""Canonical inbound events and outbound posts: the only shapes the core knows.

The edge (bot/) turns Slack, Telegram and local-chat payloads into `InboundEvent` and renders
`Post` back into Block Kit or inline keyboards. Everything here is plain data (pydantic), JSON
round-trippable so it can be stored in the database and passed between processes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Platform(StrEnum):
    SLACK = "slack"
    TELEGRAM = "telegram"
    LOCAL = "local"


class EventKind(StrEnum):
    MESSAGE = "message"  # a user's text (DM, mention, channel message, topic message)
    COMMAND = "command"  # /pos <sub> in Slack, /<sub> in Telegram, "/<sub>" in the local chat
    ACTION = "action"  # a button click


class AttachmentKind(StrEnum):
    IMAGE = "image"
    DOCUMENT = "document"
    VOICE = "voice"
    AUDIO = "audio"
    VIDEO = "video"


class Attachment(BaseModel):
    """A file sent with a message, kept as a reference: the platform's id, never its bytes.

    `file_id` is what the platform needs to fetch it again (Telegram's `file_id`, Slack's
    `F…` id); the edge's file fetcher turns it back into bytes at turn time."""

    model_config = ConfigDict(frozen=True)

    kind: AttachmentKind
    file_id: str = Field(max_length=256)
    name: str | None = Field(None, max_length=256)
    mime: str | None = Field(None, max_length=128)
    size: int | None = None  # bytes, as the platform reported it

    def label(self) -> str:
        """`report.pdf` or `a voice note`: how a reply names it."""
        return self.name or _UNNAMED[self.kind]


_UNNAMED = {
    AttachmentKind.IMAGE: "a photo",
    AttachmentKind.DOCUMENT: "a file",
    AttachmentKind.VOICE: "a voice note",
    AttachmentKind.AUDIO: "an audio file",
    AttachmentKind.VIDEO: "a video",
}


class InboundEvent(BaseModel):
    """One thing a person did, on any platform, as the core sees it."""

    model_config = ConfigDict(frozen=True)

    platform: Platform
    external_id: str  # Slack event_id / action id, Telegram update_id, local uuid: the dedupe key
    kind: EventKind
    user: str  # platform user id (no prefix)
    channel: str  # Slack channel id, Telegram chat id, local conversation id
    text: str = ""
    thread: str | None = None  # Slack thread ts / Telegram message_thread_id (topic)
    message_ref: str | None = None  # the message itself: Slack ts, Telegram message_id
    workspace: str | None = None  # Slack team id
    is_direct: bool = False  # a DM / private chat with the bot
    mentions_bot: bool = False
    command: str | None = None  # for COMMAND: "board", "status", ...
    action_id: str | None = None  # for ACTION: which button
    action_value: str | None = None  # for ACTION: the button's value
    action_message_ref: str | None = None  # for ACTION: the message carrying the button
    action_view_ref: str | None = None  # for ACTION from a view (Slack's Home tab): its id
    action_callback_ref: str | None = None  # Telegram callback_query id / Slack response_url
    user_name: str | None = None
    attachments: tuple[Attachment, ...] = ()
    # What was sent that nothing here can use ("a sticker", "a location", "an edit"): the
    # kernel answers it with one line and changes nothing.
    unsupported: str | None = None
    anonymous: bool = False  # posted as the group (an anonymous admin): no operator to tie it to

    @property
    def identity(self) -> str:
        """`slack:U123` / `telegram:4567`: the form PARALLELOS_OPERATORS uses."""
        return f"{self.platform.value}:{self.user}"


class ButtonStyle(StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


class Button(BaseModel):
    """A button: `action` says what it does, `value` a short id (Telegram allows 64 bytes)."""

    model_config = ConfigDict(frozen=True)

    label: str = Field(max_length=75)
    action: str = Field(pattern=r"^[a-z_]{1,24}$")
    value: str = Field(max_length=36)
    style: ButtonStyle = ButtonStyle.DEFAULT


class Field_(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    value: str


class Post(BaseModel):
    """What the core wants shown. Renderers in bot/ turn it into platform markup.

    `text` is Markdown (CommonMark + tables; a single `*x*` is bold, as the core writes it);
    `sections` are (heading, body) blocks; `fields` a short key/value list; `buttons` one row.
    `context` is a small grey footer line.
    """

    model_config = ConfigDict(frozen=True)

    text: str
    title: str | None = None
    sections: list[Field_] = Field(default_factory=list)
    fields: list[Field_] = Field(default_factory=list)
    buttons: list[Button] = Field(default_factory=list)
    context: str | None = None
    ephemeral_to: str | None = None  # show only to this platform user (Slack ephemeral)
    pin: bool = False  # pin it in its channel once sent (a channel's guide)
    link_preview: bool = True  # False: the platform shows no preview (a one-time link)
    feedback: str | None = Field(None, max_length=24)  # an agent answer's id: 👍/👎 under it


class Target(BaseModel):
    """Where a post goes: a domain's channel, the hub, or an explicit conversation.

    Exactly one of `domain` (a domain name or "hub") or `channel` is set. `thread` is an
    explicit thread (Slack ts, Telegram topic id); `reply_to_post` threads under an earlier
    outbox post, resolved at delivery when that post has its platform id.
    """

    model_config = ConfigDict(frozen=True)

    platform: Platform
    domain: str | None = None
    channel: str | None = None
    thread: str | None = None
    reply_to_message: str | None = None  # reply to this platform message (Telegram)
    reply_to_post: int | None = None

    def channel_key(self) -> str:
        """Ordering key: posts with the same key are delivered in order, one at a time."""
        where = f"domain:{self.domain}" if self.domain else f"chan:{self.channel}"
        return f"{self.platform.value}|{where}"


class SentRef(BaseModel):
    """What the platform answered for a delivered post."""

    channel: str
    message_id: str
    thread: str | None = None


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
