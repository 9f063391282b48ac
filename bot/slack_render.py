"""Canonical `Post` -> Block Kit kwargs for chat.postMessage / chat.update.

Layout: header (title), sections (text, then each `Post.sections` entry), field sections,
one actions block, a context footer. Text and section bodies are Markdown, converted to mrkdwn
by `bot.slack_mrkdwn` (so `**bold**`, links, lists, code fences and tables look right). Limits (FACTS §1.5) are met by splitting or trimming,
never by raising: section text is packed from whole lines and code blocks up to 3000 characters, fields go ten
to a section, and a post that would pass 50 blocks keeps its first blocks plus a context line
"…(n more lines)" (before the buttons and footer, which are always kept).

Buttons: `action_id` is `encode_action(action, value)` (e.g. "approve:42") so two buttons with
the same action stay distinct within the block, and `value` repeats the bare value; inbound
clicks are decoded with `bot.actions.decode_action(action_id)`. `Post.ephemeral_to` is a
delivery concern (chat.postEphemeral) and does not change the rendering.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import ContextActionsBlock, FeedbackButtonsElement

from bot.actions import encode_action
from bot.markdown import plain
from bot.slack_mrkdwn import escape, mrkdwn_pieces
from orchestrator.canonical import Button, ButtonStyle, Post

log = logging.getLogger(__name__)

MAX_BLOCKS = 50
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
HEADER_TEXT = 150
CONTEXT_TEXT = 2000
MAX_BUTTONS = 25
FALLBACK_TEXT = 4000
ACTIONS_BLOCK_ID = "actions"
ELLIPSIS = "…"


@dataclass(frozen=True)
class _Body:
    block: dict[str, Any]
    lines: int  # how many source lines it shows, for the "(n more lines)" note


def render_slack(post: Post) -> dict[str, Any]:
    """`{"text": fallback, "blocks": [...]}` for chat.postMessage / chat.update."""
    head = [_header(post.title)] if post.title and post.title.strip() else []
    tail = [_actions(post.buttons)] if post.buttons else []
    if post.context and post.context.strip():
        tail.append(_context(escape(post.context)))
    if post.feedback:
        tail.append(feedback_block(post.feedback))
    body = _fit(_body(post), MAX_BLOCKS - len(head) - len(tail))
    fallback = _fallback(post)
    blocks = head + body + tail or [_section(split_text(fallback, SECTION_TEXT)[0]).block]
    content: dict[str, Any] = {"text": fallback, "blocks": blocks}
    if not post.link_preview:
        content.update(unfurl_links=False, unfurl_media=False)
    return content


def feedback_block(answer: str) -> dict[str, Any]:
    """👍/👎 under an agent's answer (a `context_actions` block); a click is `feedback:<id>`."""
    buttons = FeedbackButtonsElement(
        action_id=encode_action("feedback", answer),
        positive_button={"text": "Good answer", "value": "good",
                         "accessibility_label": "Mark this answer as good"},
        negative_button={"text": "Bad answer", "value": "bad",
                         "accessibility_label": "Mark this answer as bad"},
    )  # fmt: skip
    return ContextActionsBlock(elements=[buttons]).to_dict()


def _body(post: Post) -> list[_Body]:
    parts = [_section(chunk) for chunk in pack(mrkdwn_pieces(post.text, SECTION_TEXT))]
    for section in post.sections:
        units = [f"*{escape(section.label)}*", *mrkdwn_pieces(section.value, SECTION_TEXT)]
        parts += [_section(chunk) for chunk in pack(units)]
    fields = [clip(f"*{escape(f.label)}*\n{escape(f.value)}", FIELD_TEXT) for f in post.fields]
    for start in range(0, len(fields), FIELDS_PER_SECTION):
        chunk = fields[start : start + FIELDS_PER_SECTION]
        block = {"type": "section", "fields": [{"type": "mrkdwn", "text": t} for t in chunk]}
        parts.append(_Body(block, len(chunk)))
    return parts


def _fit(parts: list[_Body], room: int) -> list[dict[str, Any]]:
    if len(parts) <= room:
        return [p.block for p in parts]
    kept, dropped = parts[: room - 1], parts[room - 1 :]
    more = sum(p.lines for p in dropped)
    return [p.block for p in kept] + [_context(f"{ELLIPSIS}({more} more lines)")]


def _section(text: str) -> _Body:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    return _Body(block, text.count("\n") + 1)


def _header(title: str) -> dict[str, Any]:
    text = clip(" ".join(title.split()), HEADER_TEXT)
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, CONTEXT_TEXT)}]}


def _actions(buttons: list[Button]) -> dict[str, Any]:
    if len(buttons) > MAX_BUTTONS:
        log.warning("post has %d buttons; Slack shows the first %d", len(buttons), MAX_BUTTONS)
    elements, seen = [], set()
    for button in buttons[:MAX_BUTTONS]:
        action_id = encode_action(button.action, button.value)
        if action_id in seen:
            continue
        seen.add(action_id)
        element: dict[str, Any] = {
            "type": "button",
            "text": {"type": "plain_text", "text": button.label, "emoji": True},
            "action_id": action_id,
            "value": button.value,
        }
        if button.style != ButtonStyle.DEFAULT:
            element["style"] = button.style.value
        elements.append(element)
    return {"type": "actions", "block_id": ACTIONS_BLOCK_ID, "elements": elements}


def _fallback(post: Post) -> str:
    """Notification / accessibility text: title and text, else any label, never empty."""
    parts = [p.strip() for p in (post.title, plain(post.text)) if p and p.strip()]
    if not parts:
        parts = [s.label for s in post.sections] or [b.label for b in post.buttons] or ["…"]
    return clip(escape("\n".join(parts)), FALLBACK_TEXT)


def pack(units: list[str], limit: int = SECTION_TEXT) -> list[str]:
    """Join mrkdwn units (each within `limit`) into section texts of at most `limit`."""
    chunks: list[str] = []
    current: str | None = None
    for unit in units:
        if current is not None and len(current) + 1 + len(unit) > limit:
            chunks.append(current)
            current = unit
        else:
            current = unit if current is None else f"{current}\n{unit}"
    if current is not None:
        chunks.append(current)
    return [c.strip("\n") for c in chunks if c.strip()]


def split_text(text: str, limit: int) -> list[str]:
    """Non-empty chunks of at most `limit` characters, cut on line boundaries where possible
    (then on spaces) and never inside an `&amp;`-style entity."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines():
        for piece in _split_line(line, limit):
            if current and len(current) + 1 + len(piece) > limit:
                chunks.append(current)
                current = piece
            else:
                current = f"{current}\n{piece}" if current else piece
    chunks.append(current)
    return [c.strip("\n") for c in chunks if c.strip()]


def _split_line(line: str, limit: int) -> list[str]:
    pieces = []
    while len(line) > limit:
        cut = safe_cut(line, limit)
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip(" ")
    return [*pieces, line]


def safe_cut(text: str, limit: int) -> int:
    """An index <= limit to cut `text` at: the last space, else `limit`, backed off an entity."""
    space = text.rfind(" ", limit // 2, limit + 1)
    cut = space if space > 0 else limit
    amp = text.rfind("&", max(0, cut - 5), cut)
    if amp > 0 and ";" not in text[amp:cut]:
        cut = amp
    return cut


def clip(text: str, limit: int) -> str:
    """`text`, or its start plus "…" in at most `limit` characters (entities kept whole)."""
    if len(text) <= limit:
        return text
    return text[: safe_cut(text, limit - 1)].rstrip() + ELLIPSIS
