"""Canonical `Post` -> Telegram messages in HTML parse mode with an inline keyboard.

The title is a bold first line; `Post.text`'s light markdown becomes tags (*bold* -> <b>,
_italic_ -> <i>, `code` -> <code>), everything else is HTML-escaped, and a marker without a
partner stays literal, so the output is always well-formed. Markup never spans lines, so a post
over 4096 characters is split between lines into several messages (a single overlong line is
cut between words, its open tags closed and reopened). Only the last message carries the
buttons, three to a row, with `callback_data = encode_action(action, value)` (<= 64 bytes).
The sender turns `reply_markup` into PTB's `InlineKeyboardMarkup.de_json(...)`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from bot.actions import encode_action
from orchestrator.canonical import Button, Post

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64  # bytes of UTF-8
BUTTONS_PER_ROW = 3
EMPTY = "…"  # Telegram refuses empty text

_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"(?<![\w*])\*([^\s*](?:[^*]*?[^\s*])?)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^\s_](?:[^_]*?[^\s_])?)_(?![\w_])")
_ATOM = re.compile(r"</?[a-z]+>|&#?\w+;|.", re.S)


@dataclass(frozen=True)
class TelegramMessage:
    """One sendMessage: HTML `text` and an inline keyboard dict (or None)."""

    text: str
    reply_markup: dict[str, Any] | None = None
    parse_mode: str = field(default="HTML")
    link_preview: bool = True


def render_telegram(post: Post) -> list[TelegramMessage]:
    """The messages to send, in order; ValueError if a button's callback_data passes 64 bytes."""
    markup = keyboard(post.buttons)
    texts = pack(_lines(post), MAX_TEXT) or [EMPTY]
    last = len(texts) - 1
    return [
        TelegramMessage(t, markup if i == last else None, link_preview=post.link_preview)
        for i, t in enumerate(texts)
    ]


def _lines(post: Post) -> list[str]:
    title = " ".join((post.title or "").split())
    lines = [f"<b>{escape(title)}</b>"] if title else []
    lines += [markdown(line) for line in post.text.splitlines()]
    for section in post.sections:
        lines += ["", f"<b>{escape(section.label)}</b>"]
        lines += [markdown(line) for line in section.value.splitlines()]
    if post.fields:
        lines.append("")
    for item in post.fields:
        first, *rest = item.value.splitlines() or [""]
        lines.append(f"<b>{escape(item.label)}:</b> {markdown(first)}".rstrip())
        lines += [markdown(line) for line in rest]
    if post.context:
        lines += [""] + [f"<i>{escape(line)}</i>" for line in post.context.splitlines() if line]
    return lines


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def markdown(line: str) -> str:
    """One line of light markdown as Telegram HTML; unmatched markers stay literal."""
    out, pos = [], 0
    for match in _CODE.finditer(line):
        out.append(_emphasis(escape(line[pos : match.start()])))
        out.append(f"<code>{escape(match[1])}</code>")
        pos = match.end()
    out.append(_emphasis(escape(line[pos:])))
    return "".join(out)


def _emphasis(text: str) -> str:
    pieces = _BOLD.split(text)  # outside, inside, outside, ...: italics never cross a <b>
    return "".join(f"<b>{_italic(p)}</b>" if i % 2 else _italic(p) for i, p in enumerate(pieces))


def _italic(text: str) -> str:
    return _ITALIC.sub(r"<i>\1</i>", text)


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
        for piece in split_html(line, limit) if len(line) > limit else [line]:
            if current and len(current) + 1 + len(piece) > limit:
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
