"""Telegram's HTML parse mode, checked as strictly as the Bot API server checks it.

`parse_html` returns the plain text a message shows (its length is what the 4096 limit counts)
or raises `HtmlError` with the server's wording, so a renderer that emits broken HTML fails.
"""

from __future__ import annotations

import html
import re

ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "code", "pre", "blockquote", "tg-emoji",
}  # fmt: skip
NAMED_ENTITIES = {"lt", "gt", "amp", "quot"}
_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<tag>[a-zA-Z][\w-]*)(?P<attrs>[^<>]*)>"
    r"|&(?P<entity>#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);"
    r"|(?P<lt><)"
)


class HtmlError(ValueError):
    """Text the Bot API refuses with "Bad Request: can't parse entities: ..."."""


def parse_html(text: str) -> str:
    """The visible text of `text` in HTML parse mode; HtmlError when Telegram would refuse it."""
    stack: list[str] = []
    plain: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        plain.append(text[pos : match.start()])
        pos = match.end()
        offset = len(text[: match.start()].encode())
        if match["lt"]:
            raise HtmlError(f'Unsupported start tag "" at byte offset {offset}')
        if match["entity"]:
            plain.append(_entity(match["entity"], offset))
            continue
        tag = match["tag"].lower()
        if tag not in ALLOWED_TAGS:
            raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {offset}')
        if not match["close"]:
            stack.append(tag)
        elif not stack:
            raise HtmlError(f"Unexpected end tag at byte offset {offset}")
        elif stack[-1] != tag:
            raise HtmlError(
                f'Can\'t find end tag corresponding to start tag "{stack[-1]}" '
                f"at byte offset {offset}"
            )
        else:
            stack.pop()
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    plain.append(text[pos:])
    return "".join(plain)


def _entity(name: str, offset: int) -> str:
    if not name.startswith("#") and name not in NAMED_ENTITIES:
        raise HtmlError(f'Unknown HTML entity "&{name};" at byte offset {offset}')
    return html.unescape(f"&{name};")
