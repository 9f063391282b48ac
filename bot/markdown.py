"""Standard Markdown (what Claude writes, and the core's light `*bold*`) as a flat layout.

markdown-it-py (CommonMark, plus GFM tables and strikethrough) parses; this module flattens
its tokens into `Block`s of `Line`s of `Span`s: each span is text with a set of styles and an
optional link, never a tree. A renderer wraps each span in its own markers, so any cut
between or inside spans leaves well-formed markup, and escaping happens per span, so no cut
can split an entity. Code fences and tables become `Pre` blocks (tables aligned as text).

Two choices keep the core's posts as they were written: a single `*x*` (the core's and
Slack's bold) renders bold, `_x_` italic and `**x**` bold; and blank lines are kept where the
source had them (from each block's source line map), so layout is not reflowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["Block", "Line", "Lines", "Pre", "Span", "fit_line", "parse", "plain"]

Style = Literal["b", "i", "s", "code"]
BULLETS = ("•", "◦", "▪")
INDENT = "    "
RULE = "――――――――"

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


@dataclass(frozen=True)
class Span:
    text: str
    styles: frozenset[Style] = frozenset()
    href: str | None = None


Line = tuple[Span, ...]


@dataclass(frozen=True)
class Pre:
    """Preformatted text: a code fence (with its language) or an aligned table."""

    text: str
    lang: str = ""


@dataclass(frozen=True)
class Lines:
    lines: tuple[Line, ...]
    quote: bool = False


Block = Lines | Pre


def parse(source: str) -> list[Block]:
    """The blocks to show, blank lines as empty `Lines`, where the source had them."""
    return list(_parsed(source))


@lru_cache(maxsize=32)
def _parsed(source: str) -> tuple[Block, ...]:
    """Parsed once per text: a post's body and its plain fallback read the same parse (the
    blocks are frozen, so sharing them is safe)."""
    return tuple(_Walker(_MD.parse(source)).blocks())


def plain(source: str) -> str:
    """The visible text alone (for plain-text fallbacks and alerts)."""
    out: list[str] = []
    for block in parse(source):
        if isinstance(block, Pre):
            out.append(block.text)
        else:
            out += ["".join(s.text for s in line) for line in block.lines]
    return "\n".join(out)


@dataclass
class _List:
    ordered: bool
    number: int = 1
    delimiter: str = "."


@dataclass
class _Walker:
    tokens: list[Token]
    out: list[Block] = field(default_factory=list)
    lists: list[_List] = field(default_factory=list)
    quote: int = 0
    last_line: int = -1  # the source line the previous block ended on
    prefix: str | None = None  # a list item's marker, for its first line

    def blocks(self) -> list[Block]:
        i = 0
        while i < len(self.tokens):
            i = self._step(i)
        return self.out

    def _step(self, i: int) -> int:
        token = self.tokens[i]
        kind = token.type
        if kind == "inline":
            self._emit(_inline(token.children or []), token)
        elif kind in ("fence", "code_block"):
            self._gap(token)
            self.out.append(Pre(token.content.rstrip("\n"), token.info.strip().split(" ")[0]))
        elif kind == "table_open":
            return self._table(i)
        elif kind == "hr":
            self._emit([[Span(RULE)]], token)
        elif kind in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrs.get("start", 1) or 1)
            self.lists.append(_List(kind.startswith("ordered"), start, token.markup or "."))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
        elif kind == "list_item_open":
            self.prefix = self._marker()
        elif kind == "blockquote_open":
            self.quote += 1
        elif kind == "blockquote_close":
            self.quote -= 1
        elif kind == "heading_open":
            self._emit_heading(self.tokens[i + 1])
            return i + 3
        return i + 1

    def _marker(self) -> str:
        current = self.lists[-1]
        depth = len(self.lists) - 1
        if current.ordered:
            mark = f"{current.number}{current.delimiter}"
            current.number += 1
        else:
            mark = BULLETS[min(depth, len(BULLETS) - 1)]
        return INDENT * depth + mark + " "

    def _gap(self, token: Token) -> None:
        """An empty line where the source left one between blocks."""
        if token.map is None:
            return
        start, end = token.map
        if self.out and self.last_line >= 0 and start > self.last_line:
            self.out.append(Lines(((),)))
        self.last_line = max(self.last_line, end)

    def _emit(self, lines: list[list[Span]], token: Token) -> None:
        self._gap(token)
        indent = INDENT * len(self.lists)
        shaped: list[Line] = []
        for n, line in enumerate(lines):
            lead = (
                self.prefix
                if n == 0 and self.prefix is not None
                else (indent if self.lists else "")
            )
            shaped.append(((Span(lead),) if lead else ()) + _merged(line))
        self.prefix = None
        self.out.append(Lines(tuple(shaped), quote=self.quote > 0))

    def _emit_heading(self, inline: Token) -> None:
        lines = _inline(inline.children or [])
        bold = [[Span(s.text, s.styles | {"b"}, s.href) for s in line] for line in lines]
        self._emit(bold, inline)

    def _table(self, i: int) -> int:
        rows: list[list[str]] = []
        first = self.tokens[i]
        while self.tokens[i].type != "table_close":
            token = self.tokens[i]
            if token.type == "tr_open":
                rows.append([])
            elif token.type == "inline":
                cell = _inline(token.children or [])
                rows[-1].append(" ".join("".join(s.text for s in line) for line in cell))
            i += 1
        self._gap(first)
        self.out.append(Pre(_aligned(rows)))
        return i + 1


def fit_line(spans: Line, size: Callable[[Span], int], limit: int) -> list[Line]:
    """`spans` as lines whose rendered `size` stays within `limit`: cut between spans, and
    inside a span (at a space where it can) when one alone is too long."""
    pieces: list[Line] = []
    current: list[Span] = []
    used = 0
    for span in _small(spans, size, limit):
        need = size(span)
        if current and used + need > limit:
            pieces.append(tuple(current))
            current, used = [], 0
        current.append(span)
        used += need
    pieces.append(tuple(current))
    return [p for p in pieces if p]


def _small(spans: Line, size: Callable[[Span], int], limit: int) -> Iterator[Span]:
    for span in spans:
        text = span.text
        while size(replace(span, text=text)) > limit and len(text) > 1:
            cut = _cut(span, text, size, limit)
            yield replace(span, text=text[:cut])
            text = text[cut:]
        if text:
            yield replace(span, text=text)


def _cut(span: Span, text: str, size: Callable[[Span], int], limit: int) -> int:
    """The longest start of `text` that fits, ending after a space when one is near."""
    low, high = 1, len(text) - 1
    while low < high:  # the largest n with size(text[:n]) <= limit
        mid = (low + high + 1) // 2
        if size(replace(span, text=text[:mid])) <= limit:
            low = mid
        else:
            high = mid - 1
    space = text.rfind(" ", low // 2, low)
    return space + 1 if space > 0 else low


def _merged(spans: list[Span]) -> Line:
    """Neighbours with the same styles and link as one span (one pair of markers)."""
    out: list[Span] = []
    for span in spans:
        if out and (out[-1].styles, out[-1].href) == (span.styles, span.href):
            out[-1] = replace(out[-1], text=out[-1].text + span.text)
        else:
            out.append(span)
    return tuple(out)


def _aligned(rows: list[list[str]]) -> str:
    width = max((len(r) for r in rows), default=0)
    cells = [r + [""] * (width - len(r)) for r in rows]
    sizes = [max(len(r[c]) for r in cells) for c in range(width)]
    text = [" | ".join(v.ljust(sizes[c]) for c, v in enumerate(r)).rstrip() for r in cells]
    if len(text) > 1:
        text.insert(1, "-+-".join("-" * s for s in sizes))
    return "\n".join(text)


def _inline(children: list[Token]) -> list[list[Span]]:
    """Inline tokens as lines of spans (soft and hard breaks end a line)."""
    lines: list[list[Span]] = [[]]
    styles: list[Style] = []
    href: str | None = None
    for token in children:
        kind = token.type
        if kind in ("softbreak", "hardbreak"):
            lines.append([])
        elif kind == "text" and token.content:
            lines[-1].append(Span(token.content, frozenset(styles), href))
        elif kind == "code_inline":
            lines[-1].append(Span(token.content, frozenset((*styles, "code")), href))
        elif kind in ("strong_open", "em_open", "s_open"):
            styles.append(_STYLE[kind] if token.markup != "*" else "b")
        elif kind in ("strong_close", "em_close", "s_close") and styles:
            styles.pop()
        elif kind == "link_open":
            href = str(token.attrs.get("href") or "") or None
        elif kind == "link_close":
            href = None
        elif kind == "image":
            alt = token.content or "image"
            lines[-1].append(Span(alt, frozenset(styles), str(token.attrs.get("src") or "")))
    return lines


_STYLE: dict[str, Style] = {"strong_open": "b", "em_open": "i", "s_open": "s"}
