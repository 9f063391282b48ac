"""Canonical `Post` -> Telegram messages in HTML parse mode with an inline keyboard.

The title is a bold first line; `Post.text` is Markdown (`bot.markdown`: CommonMark, GFM tables,
the core's `*bold*`), rendered as <b>, <i>, <s>, <code>, <pre> and <a>; every text is
HTML-escaped, and each span carries its own tags, so the output is always well-formed. Markup
never spans lines, so a post over 4096 characters (UTF-16 units, as Telegram counts) is split
between lines and code blocks into several messages (a long line between spans or words, a long
code block into several <pre>). `plain` is the same text without markup, the fallback the
sender uses when Telegram still refuses the entities. Only the last message carries the
buttons, three to a row, with `callback_data = encode_action(action, value)` (<= 64 bytes).
The sender turns `reply_markup` into PTB's `InlineKeyboardMarkup.de_json(...)`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from typing import Any

from bot import markdown as md
from bot.actions import encode_action
from orchestrator.canonical import Button, Post

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64  # bytes of UTF-8
BUTTONS_PER_ROW = 3
EMPTY = "…"  # Telegram refuses empty text

QUOTE = "┃ "
_TAG = re.compile(r"<[^>]+>")
_ATOM = re.compile(r"</?[a-z]+>|&#?\w+;|.", re.S)


@dataclass(frozen=True)
class TelegramMessage:
    """One sendMessage: HTML `text` and an inline keyboard dict (or None)."""

    text: str
    reply_markup: dict[str, Any] | None = None
    plain: str = ""  # the same text without markup, if Telegram refuses the entities
    parse_mode: str | None = field(default="HTML")

    def as_plain(self) -> TelegramMessage:
        """The same message with no markup at all (parse_mode None)."""
        return replace(self, text=self.plain or to_plain(self.text), parse_mode=None)

    link_preview: bool = True


def render_telegram(post: Post) -> list[TelegramMessage]:
    """The messages to send, in order; ValueError if a button's callback_data passes 64 bytes."""
    markup = keyboard(post.buttons)
    texts = pack(_lines(post), MAX_TEXT) or [EMPTY]
    last = len(texts) - 1
    return [
        TelegramMessage(
            t, markup if i == last else None, to_plain(t), link_preview=post.link_preview
        )
        for i, t in enumerate(texts)
    ]


def _lines(post: Post) -> list[str]:
    title = " ".join((post.title or "").split())
    lines = [f"<b>{escape(title)}</b>"] if title else []
    lines += units(post.text, MAX_TEXT)
    for section in post.sections:
        lines += ["", f"<b>{escape(section.label)}</b>"]
        lines += units(section.value, MAX_TEXT)
    if post.fields:
        lines.append("")
    for item in post.fields:
        first, *rest = units(item.value, MAX_TEXT // 2) or [""]
        lines.append(f"<b>{escape(item.label)}:</b> {first}".rstrip())
        lines += rest
    if post.context:
        lines += [""] + [f"<i>{escape(line)}</i>" for line in post.context.splitlines() if line]
    return lines


def to_plain(text: str) -> str:
    """What an HTML message shows, as plain text (for parse_mode None)."""
    return html.unescape(_TAG.sub("", text)).strip() or EMPTY


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def markdown(text: str) -> str:
    """Markdown as Telegram HTML, one message's worth or more (see `units` for the pieces)."""
    return "\n".join(units(text, MAX_TEXT))


def units(text: str, limit: int) -> list[str]:
    """Markdown as balanced HTML units (a line, or a whole `<pre>`) of at most `limit`."""
    out: list[str] = []
    for block in md.parse(text):
        if isinstance(block, md.Pre):
            out += _pre(block, limit)
            continue
        lead = QUOTE if block.quote else ""
        for line in block.lines:
            parts = md.fit_line(line, _size, limit - len(lead))
            out += [lead + "".join(map(span, p)) for p in parts] or [lead.rstrip()]
    return out


def span(piece: md.Span) -> str:
    """One span as balanced tags: <a> outside, then <s>, <i>, <b>; <code> alone (Telegram
    lets no other entity contain or be contained in a code entity)."""
    inner = escape(piece.text)
    if "code" in piece.styles and not piece.href:
        return f"<code>{inner}</code>"
    for tag in ("s", "i", "b"):
        if tag in piece.styles:
            inner = f"<{tag}>{inner}</{tag}>"
    if piece.href and piece.href.startswith(("http://", "https://", "tg://", "mailto:")):
        inner = f'<a href="{html.escape(piece.href, quote=True)}">{inner}</a>'
    return inner


def _size(piece: md.Span) -> int:
    return _length(span(piece))


def _length(text: str) -> int:
    """Characters as Telegram counts them (UTF-16 code units): the markup counted too."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _pre(block: md.Pre, limit: int) -> list[str]:
    lang = re.sub(r"[^\w+#-]", "", block.lang)[:32]
    head = f'<pre><code class="language-{lang}">' if lang else "<pre>"
    tail = "</code></pre>" if lang else "</pre>"
    room = limit - len(head) - len(tail)
    pieces: list[str] = []
    current = ""
    for line in block.text.split("\n"):
        for part in md.fit_line((md.Span(line),), lambda s: _length(escape(s.text)), room) or [()]:
            text = escape(part[0].text) if part else ""
            if current and _length(current) + 1 + _length(text) > room:
                pieces.append(current)
                current = text
            else:
                current = f"{current}\n{text}" if current else text
    pieces.append(current)
    return [head + p + tail for p in pieces if p.strip()]


def keyboard(buttons: list[Button]) -> dict[str, Any] | None:
    """`{"inline_keyboard": [[...], ...]}`, three buttons a row, or None without buttons."""
    if not buttons:
        return None
    row_list = []
    for button in buttons:
        data = encode_action(button.action, button.value)
        if len(data.encode()) > MAX_CALLBACK_DATA:
            raise ValueError(
                f"button {button.label!r}: callback_data {data!r} is "
                f"{len(data.encode())} bytes; Telegram allows {MAX_CALLBACK_DATA}"
            )
        row_list.append({"text": button.label, "callback_data": data})
    rows = [row_list[i : i + BUTTONS_PER_ROW] for i in range(0, len(row_list), BUTTONS_PER_ROW)]
    return {"inline_keyboard": rows}


def pack(lines: list[str], limit: int) -> list[str]:
    """Join balanced HTML lines into texts of at most `limit` characters, in order."""
    texts: list[str] = []
    current = ""
    for line in lines:
        for piece in split_html(line, limit) if _length(line) > limit else [line]:
            if current and _length(current) + 1 + _length(piece) > limit:
                texts.append(current)
                current = piece
            else:
                current = f"{current}\n{piece}" if current else piece
    texts.append(current)
    return [t.strip("\n") for t in texts if t.strip()]


def split_html(line: str, limit: int) -> list[str]:
    """Cut one balanced HTML line into pieces <= `limit`, preferably at spaces, closing open
    tags at each cut and reopening them in the next piece; entities are never split."""
    pieces: list[str] = []
    atoms: list[tuple[str, tuple[str, ...]]] = []  # (atom, open tags after it)
    size = 0
    stack: tuple[str, ...] = ()
    for atom in _ATOM.findall(line):
        after = _push(stack, atom)
        if atoms and size + len(atom) + _closing(after) > limit:
            cut = _last_space(atoms)
            head, tail = atoms[:cut], atoms[cut + 1 :]  # the space itself is dropped
            head_stack = head[-1][1] if head else ()
            pieces.append("".join(a for a, _ in head) + _closers(head_stack))
            atoms = [(_openers(head_stack), head_stack), *tail]
            size = sum(len(a) for a, _ in atoms)
        atoms.append((atom, after))
        size, stack = size + len(atom), after
    pieces.append("".join(a for a, _ in atoms))
    return [p for p in pieces if p.strip()]


def _push(stack: tuple[str, ...], atom: str) -> tuple[str, ...]:
    if atom.startswith("</"):
        return stack[:-1]
    if atom.startswith("<") and atom.endswith(">") and len(atom) > 2:
        return (*stack, atom[1:-1])
    return stack


def _last_space(atoms: list[tuple[str, tuple[str, ...]]]) -> int:
    """Index of the last space in the second half, else the end (a hard cut)."""
    for index in range(len(atoms) - 1, len(atoms) // 2, -1):
        if atoms[index][0] == " ":
            return index
    return len(atoms)


def _closing(stack: tuple[str, ...]) -> int:
    return sum(len(tag) + 3 for tag in stack)


def _closers(stack: tuple[str, ...]) -> str:
    return "".join(f"</{tag}>" for tag in reversed(stack))


def _openers(stack: tuple[str, ...]) -> str:
    return "".join(f"<{tag}>" for tag in stack)
