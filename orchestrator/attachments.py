"""Files sent with a message: what the agent may read, the size caps, and how replies name them.

The edge stores each file as a reference (`canonical.Attachment`: the platform's file id, name,
type, size), never its bytes. With a model, images and PDFs within the Messages API's limits are
fetched at turn time, in the job, through the platform's `FileFetcher` (bot/), and handed to
the domain's agent as content blocks; everything else is kept and named in the reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from orchestrator.canonical import Attachment, AttachmentKind

__all__ = [
    "FileFetcher",
    "Fetched",
    "FileTooLarge",
    "MAX_FILES",
    "cap_of",
    "readable",
    "readable_ones",
    "summary",
]

MB = 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
PDF = "application/pdf"
# The Messages API takes images up to 5 MB each and requests up to 32 MB (base64 grows a file
# by a third); Telegram's cloud Bot API serves files up to 20 MB through getFile.
IMAGE_CAP = 5 * MB
PDF_CAP = 20 * MB
MAX_FILES = 5  # files of one message handed to the agent; the rest are named, not read


class FileTooLarge(Exception):
    """The file is bigger than the cap: not downloaded (or not read past the cap)."""


@dataclass(frozen=True)
class Fetched:
    data: bytes
    mime: str | None = None


class FileFetcher(Protocol):
    """One platform's way to turn a file id back into bytes, with the bot's own token."""

    def fetch(self, attachment: Attachment, *, max_bytes: int) -> Fetched:
        """The file's bytes; `FileTooLarge` past `max_bytes`; other errors: not available."""
        ...


def cap_of(attachment: Attachment) -> int | None:
    """The most bytes the agent reads of this kind of file; None: the agent cannot read it."""
    mime = (attachment.mime or "").lower()
    if attachment.kind is AttachmentKind.IMAGE and (not mime or mime in IMAGE_TYPES):
        return IMAGE_CAP
    if attachment.kind is AttachmentKind.DOCUMENT and mime == PDF:
        return PDF_CAP
    if attachment.kind is AttachmentKind.DOCUMENT and mime in IMAGE_TYPES:
        return IMAGE_CAP  # an image sent "as a file"
    return None


def readable(attachment: Attachment) -> bool:
    """An image or PDF whose reported size is within its cap (unknown size: try, capped)."""
    cap = cap_of(attachment)
    return cap is not None and (attachment.size is None or attachment.size <= cap)


def readable_ones(attachments: Sequence[Attachment]) -> list[Attachment]:
    return [a for a in attachments if readable(a)][:MAX_FILES]


def summary(attachments: Sequence[Attachment], *, model: bool) -> str:
    """One line saying what was kept and what cannot be read ("" without attachments)."""
    if not attachments:
        return ""
    kept = ", ".join(_described(a) for a in attachments)
    if not model:
        return f"Kept {kept} with the message. Without a language model I cannot read files."
    reading = readable_ones(attachments)
    left = [a for a in attachments if a not in reading]
    lines = [f"Kept {kept} with the message."]
    if reading:
        lines.append("Reading " + ", ".join(a.label() for a in reading) + ".")
    lines.extend(_why_not(a) for a in left)
    return " ".join(lines)


def _why_not(attachment: Attachment) -> str:
    cap = cap_of(attachment)
    name = attachment.label()
    if cap is not None and attachment.size is not None and attachment.size > cap:
        return f"{_upper(name)} is {_size(attachment.size)}: I read files up to {_size(cap)}."
    if cap is not None:
        return f"{_upper(name)} is beyond the {MAX_FILES} files I read per message."
    if attachment.kind in (AttachmentKind.VOICE, AttachmentKind.AUDIO):
        return f"I cannot listen to {name}; please write what it says."
    if attachment.kind is AttachmentKind.VIDEO:
        return f"I cannot watch {name}."
    return f"I cannot read {name} (only images and PDFs)."


def _described(attachment: Attachment) -> str:
    size = f", {_size(attachment.size)}" if attachment.size else ""
    return f"{attachment.label()} ({attachment.kind.value}{size})"


def _size(n: int) -> str:
    if n >= MB:
        return f"{n / MB:.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, round(n / 1024))} KB"


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]
