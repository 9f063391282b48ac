"""What a Slack message carries besides its text: shared files (`files`, the `file_share`
subtype) as `Attachment` references, and the text of a forwarded or shared message (Slack puts
it in `attachments`, with `is_share` or `is_msg_unfurl`). Pure functions, no network."""

from __future__ import annotations

from typing import Any

from orchestrator.canonical import Attachment, AttachmentKind

GONE = ("tombstone", "hidden_by_limit")  # a deleted file, or one past the free plan's limit
MAX_FILES = 20  # Slack allows 10 files a message; more is not Slack's shape


def files_of(event: dict[str, Any]) -> tuple[Attachment, ...]:
    """The message's files that still exist, as references (id, name, type, size)."""
    files = event.get("files")
    if not isinstance(files, list):
        return ()
    found = [_attachment(f) for f in files[:MAX_FILES] if isinstance(f, dict)]
    return tuple(a for a in found if a is not None)


def shared_text(event: dict[str, Any]) -> str:
    """The text of messages forwarded or shared into this one, one quoted block each."""
    parts = []
    for item in _list(event.get("attachments")):
        if not isinstance(item, dict) or not (item.get("is_share") or item.get("is_msg_unfurl")):
            continue
        text = _str(item.get("text")) or _str(item.get("fallback"))
        if text:
            who = _str(item.get("author_name")) or _str(item.get("author_subname"))
            parts.append(f"{who}: {text}" if who else text)
    return "\n\n".join(parts)


def kind_of(mime: str | None, subtype: str | None = None) -> AttachmentKind:
    """image/* an image, audio/* audio (a recorded clip: a voice note), video/* a video,
    anything else a document."""
    major = (mime or "").split("/", 1)[0].lower()
    if major == "image":
        return AttachmentKind.IMAGE
    if major == "audio":
        return AttachmentKind.VOICE if subtype == "slack_audio" else AttachmentKind.AUDIO
    if major == "video":
        return AttachmentKind.VIDEO
    return AttachmentKind.DOCUMENT


def _attachment(file: dict[str, Any]) -> Attachment | None:
    file_id = file.get("id")
    if not isinstance(file_id, str) or not file_id or file.get("mode") in GONE:
        return None
    mime = _str(file.get("mimetype"))[:128] or None
    size = file.get("size")
    name = _str(file.get("name")) or _str(file.get("title"))
    return Attachment(
        kind=kind_of(mime, _str(file.get("subtype")) or None),
        file_id=file_id[:256],
        name=name[:256] or None,
        mime=mime,
        size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
