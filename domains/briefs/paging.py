"""Splitting a brief into posts every platform can show whole, and printing it as plain text.

Slack allows 50 blocks a message and 3,000 characters a section; Telegram 4,096 characters a
message (FACTS §1.5, §3). A brief is cut into sections of at most `SECTION_CHARS` (measured as
Slack will see them, escaped) on line boundaries, and sections are packed into posts of at
most `SECTIONS_PER_POST` and `POST_CHARS`, in order. The renderers then never need to trim:
Slack gets well under 50 blocks, and Telegram splits a post between lines, in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domains.briefs import texts
from orchestrator.canonical import Field_, Post

SECTION_CHARS = 2400  # < Slack's 3,000 a section, with room for the bold label
SECTIONS_PER_POST = 20  # + header, text, context: far under Slack's 50 blocks
POST_CHARS = 12_000  # a long post is several Telegram messages; keep each Slack post readable
_MARKUP = re.compile(r"(?<![\w*])\*([^\s*](?:[^*]*?[^\s*])?)\*(?![\w*])")


@dataclass(frozen=True)
class Section:
    label: str
    lines: list[str]


def paginate(title: str, text: str, sections: list[Section], context: str | None) -> list[Post]:
    """Posts titled `title` (then `title (2/3)`…), the summary first and `context` last."""
    pages: list[list[Field_]] = [[]]
    size = len(text)
    for part in _chunks(sections):
        cost = _slack_len(part.label) + _slack_len(part.value)
        if pages[-1] and (len(pages[-1]) >= SECTIONS_PER_POST or size + cost > POST_CHARS):
            pages.append([])
            size = 0
        pages[-1].append(part)
        size += cost
    total = len(pages)
    return [
        Post(
            title=title if total == 1 else f"{title} ({i}/{total})",
            text=text if i == 1 else texts.CONTINUED,
            sections=page,
            context=context if i == total else None,
        )
        for i, page in enumerate(pages, 1)
    ]


def _chunks(sections: list[Section]) -> list[Field_]:
    """Each section as one or more fields of at most SECTION_CHARS, cut between lines."""
    out: list[Field_] = []
    for section in sections:
        label, current = section.label, ""
        for line in (p for raw in section.lines for p in _pieces(raw)):
            joined = f"{current}\n{line}" if current else line
            if current and _slack_len(label) + _slack_len(joined) > SECTION_CHARS:
                out.append(Field_(label=label, value=current))
                label, current = f"{section.label} {texts.CONTINUED}", line
            else:
                current = joined
        out.append(Field_(label=label, value=current or texts.NONE))
    return out


def _pieces(line: str) -> list[str]:
    """A line short enough for one section, or its pieces cut between words."""
    limit = SECTION_CHARS // 2
    pieces = []
    while _slack_len(line) > limit:
        end = _fit(line, limit)
        cut = line.rfind(" ", end // 2, end)
        cut = cut if cut > 0 else end
        pieces.append(line[:cut].rstrip())
        line = "  " + line[cut:].lstrip()
    return [*pieces, line]


def _fit(line: str, limit: int) -> int:
    """The longest prefix of `line` whose escaped length is within `limit`."""
    size = 0
    for index, char in enumerate(line):
        size += _slack_len(char)
        if size > limit:
            return max(1, index)
    return len(line)


def _slack_len(text: str) -> int:
    """Length after Slack's escaping of &, < and > (what counts against its limits)."""
    return len(text) + 4 * text.count("&") + 3 * (text.count("<") + text.count(">"))


def plain_text(posts: list[Post]) -> str:
    """The brief for a terminal: headings, indented lines, buttons in brackets, no markup."""
    out: list[str] = []
    for post in posts:
        if post.title:
            out += [post.title, "=" * len(post.title)]
        out.append(_plain(post.text))
        for section in post.sections:
            out += ["", _plain(section.label)]
            out += [f"  {_plain(line)}" for line in section.value.splitlines()]
        if post.buttons:
            out.append("  " + "  ".join(f"[{b.label}]" for b in post.buttons))
        if post.context:
            out += ["", _plain(post.context)]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _plain(text: str) -> str:
    return _MARKUP.sub(r"\1", text)
