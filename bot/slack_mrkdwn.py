"""Markdown -> Slack mrkdwn, in pieces that each fit a section block (FACTS §1.5).

`**b**` and `*b*` become `*b*`, `_i_` stays, `~~s~~` becomes `~s~`, `[t](u)` becomes `<u|t>`,
headings bold lines, lists `•`/`1.` lines, quotes `>` lines, code fences and tables
triple-backtick blocks. Every text is escaped (`&`, `<`, `>`), so nothing the model or a user
wrote can ping `<!channel>` or forge a link; only links Markdown itself made are `<u|t>`.
A backtick Markdown left literal (unmatched) shows as `ˋ`, so it cannot open a Slack code
span. A piece never cuts a span or a code block: long lines are cut between spans (each span
carries its own markers) and long code blocks into several fenced blocks.
"""

from __future__ import annotations

from bot.markdown import Lines, Pre, Span, fit_line, parse

__all__ = ["escape", "mrkdwn_pieces"]

FENCE = "```"
_MARKS = {"b": "*", "i": "_", "s": "~"}
_LOOKALIKE = {"*": "∗", "_": "ˍ", "~": "∼"}  # a marker inside its own span would end it
_SAFE_URL = {"|": "%7C", "<": "%3C", ">": "%3E", " ": "%20"}


def escape(text: str) -> str:
    """Slack's three control characters; mrkdwn markers (*, _, `) pass through."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn_pieces(source: str, limit: int) -> list[str]:
    """The Markdown `source` as mrkdwn units of at most `limit` characters, in order (a unit
    is a line or a whole code block); the caller packs them into sections."""
    units: list[str] = []
    for block in parse(source):
        if isinstance(block, Pre):
            units += _pre(block.text, limit)
        else:
            units += _lines(block, limit)
    return units


def _lines(block: Lines, limit: int) -> list[str]:
    lead = "> " if block.quote else ""
    room = limit - len(lead)
    out: list[str] = []
    for line in block.lines:
        out += [lead + "".join(map(span, part)) for part in fit_line(line, _size, room)] or [lead]
    return [u.rstrip() if u.strip() else "" for u in out]


def _size(piece: Span) -> int:
    return len(span(piece))


def span(piece: Span) -> str:
    """One span with its own markers, whitespace kept outside them (Slack needs that)."""
    text = piece.text
    core = text.strip()
    if not core:
        return escape(text)
    before, after = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    code = "code" in piece.styles
    inner = f"`{escape(core.replace('`', 'ʹ'))}`" if code else escape(core.replace("`", "ˋ"))
    if piece.href and piece.href.startswith(("http://", "https://", "mailto:")):
        inner = f"<{_url(piece.href)}|{inner.replace('|', '¦')}>"
    for style in ("s", "i", "b"):
        if style in piece.styles:
            mark = _MARKS[style]
            inner = f"{mark}{inner.replace(mark, _LOOKALIKE[mark])}{mark}"
    return f"{before}{inner}{after}"


def _url(href: str) -> str:
    for char, code in _SAFE_URL.items():
        href = href.replace(char, code)
    return href.replace("&", "&amp;")


def _pre(code: str, limit: int) -> list[str]:
    """One or more fenced blocks, cut between lines (a line alone too long, inside it)."""
    room = limit - 2 * len(FENCE) - 2
    body = escape(code.replace(FENCE, "ʹʹʹ")) or " "
    chunks: list[str] = []
    current = ""
    for line in body.split("\n"):
        while len(line) > room:
            cut = _entity_safe(line, room)
            chunks, current = _add(chunks, current, line[:cut], room)
            line = line[cut:]
        chunks, current = _add(chunks, current, line, room)
    chunks.append(current)
    return [f"{FENCE}\n{c}\n{FENCE}" for c in chunks if c.strip()]


def _add(chunks: list[str], current: str, line: str, room: int) -> tuple[list[str], str]:
    if current and len(current) + 1 + len(line) > room:
        return [*chunks, current], line
    return chunks, f"{current}\n{line}" if current else line


def _entity_safe(text: str, cut: int) -> int:
    amp = text.rfind("&", max(0, cut - 5), cut)
    return amp if amp > 0 and ";" not in text[amp:cut] else cut
