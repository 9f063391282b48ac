"""The message's images and PDFs as Messages API content blocks, fetched at turn time.

Each readable file (`orchestrator.attachments.readable_ones`) is fetched in the job, through
its platform's `FileFetcher`, with a cap per kind. A file that cannot be fetched is named in a
text block instead, so the agent knows it is missing. Bytes go into the request only: never
into a log line or a checkpoint (`loop.text_only` strips them before one is saved).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from typing import Any

from orchestrator.attachments import (
    IMAGE_TYPES,
    PDF,
    FileFetcher,
    FileTooLarge,
    cap_of,
    readable_ones,
)
from orchestrator.canonical import Attachment, InboundEvent, Platform

log = logging.getLogger(__name__)

FILE_BLOCKS = ("image", "document")
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", PDF),
)


def content_blocks(
    fetchers: Mapping[Platform, FileFetcher], event: InboundEvent
) -> list[dict[str, Any]]:
    """Image and document blocks for the event's readable files (a text note for a miss)."""
    blocks: list[dict[str, Any]] = []
    fetcher = fetchers.get(event.platform)
    for attachment in readable_ones(event.attachments):
        block = _block(fetcher, attachment) if fetcher is not None else None
        blocks.append(block or _missing(attachment))
    return blocks


def _block(fetcher: FileFetcher, attachment: Attachment) -> dict[str, Any] | None:
    cap = cap_of(attachment) or 0
    try:
        fetched = fetcher.fetch(attachment, max_bytes=cap)
    except FileTooLarge:
        log.info("file %s is over %d bytes: not read", attachment.kind.value, cap)
        return None
    except Exception as exc:  # the platform refused or is down: the turn goes on without it
        log.warning("file %s not fetched (%s)", attachment.kind.value, type(exc).__name__)
        return None
    media = sniff(fetched.data) or fetched.mime or attachment.mime
    data = base64.standard_b64encode(fetched.data).decode("ascii")
    source = {"type": "base64", "media_type": media, "data": data}
    if media in IMAGE_TYPES:
        return {"type": "image", "source": source}
    if media == PDF:
        return {"type": "document", "source": source, "title": attachment.label()[:200]}
    return None  # not what it said it was: not sent


def sniff(data: bytes) -> str | None:
    """The media type the bytes themselves show (the platform's word is only a hint)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in _MAGIC if data.startswith(magic)), None)


def _missing(attachment: Attachment) -> dict[str, Any]:
    return {"type": "text", "text": f"(The operator attached {attachment.label()}; it could "
                                    "not be fetched, so answer without it.)"}  # fmt: skip
