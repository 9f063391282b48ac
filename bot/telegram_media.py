"""What a Telegram message carries besides text: files as `Attachment` references, or the name
of something the bot cannot use (a sticker, a location), answered with one line.

Pure functions over PTB's `Message` (its `effective_attachment`), no network: the file's bytes
are fetched only at turn time, by `bot.telegram_fetch`.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    Animation,
    Audio,
    Contact,
    Dice,
    Document,
    Location,
    Message,
    PhotoSize,
    Poll,
    Sticker,
    Venue,
    Video,
    VideoNote,
    Voice,
)

from orchestrator.attachments import IMAGE_CAP
from orchestrator.canonical import Attachment, AttachmentKind

_FILES: dict[type, AttachmentKind] = {
    Document: AttachmentKind.DOCUMENT,
    Voice: AttachmentKind.VOICE,
    Audio: AttachmentKind.AUDIO,
    Video: AttachmentKind.VIDEO,
    VideoNote: AttachmentKind.VIDEO,
    Animation: AttachmentKind.VIDEO,
}
_UNSUPPORTED: dict[type, str] = {
    Sticker: "a sticker",
    Location: "a location",
    Venue: "a location",
    Contact: "a contact",
    Poll: "a poll",
    Dice: "a dice roll",
}
OTHER = "this kind of message"  # a game, an invoice, a story, paid media...


def media_of(message: Message) -> tuple[tuple[Attachment, ...], str | None]:
    """(the files it carries, what it carries that cannot be used); both empty for text."""
    content = message.effective_attachment
    if content is None:
        return (), None
    if isinstance(content, Sequence):  # a photo: its sizes, smallest first
        photo = best_photo([p for p in content if isinstance(p, PhotoSize)])
        return ((photo,) if photo is not None else ()), None
    kind = _FILES.get(type(content))
    if kind is not None:
        return (_file(content, kind),), None
    return (), _UNSUPPORTED.get(type(content), OTHER)


def best_photo(sizes: list[PhotoSize]) -> Attachment | None:
    """The largest size the agent may read (Telegram sends a photo in several sizes)."""
    if not sizes:
        return None
    fitting = [p for p in sizes if (p.file_size or 0) <= IMAGE_CAP]
    pick = max(fitting or sizes, key=lambda p: (p.width * p.height, p.file_size or 0))
    return Attachment(
        kind=AttachmentKind.IMAGE, file_id=pick.file_id, mime="image/jpeg", size=pick.file_size
    )


def _file(content: object, kind: AttachmentKind) -> Attachment:
    name = getattr(content, "file_name", None) or getattr(content, "title", None)
    return Attachment(
        kind=kind,
        file_id=str(getattr(content, "file_id", "")),
        name=name[:256] if isinstance(name, str) else None,
        mime=_short(getattr(content, "mime_type", None)),
        size=getattr(content, "file_size", None),
    )


def _short(mime: object) -> str | None:
    return mime[:128] if isinstance(mime, str) and mime else None
