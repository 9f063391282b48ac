"""`parallelos chat`: the local chat in a terminal, on the same orchestrator and database.

Two modes. With a terminal, prompt_toolkit reads (multi-line: Enter sends, Alt+Enter or Esc
then Enter adds a line; pastes keep their lines; history in a file) and rich writes (the bot's
Markdown rendered, domain names coloured, buttons numbered). Without one (`echo board |
parallelos chat`), each stdin line is one message and the output is plain text.

In both, `/channel <domain>` (or `/channel dm`) switches where you talk, and `#<domain>` at
the start of a line switches and sends the rest; the direct-message channel is the default.
In the terminal, a line that is only the number of a button shown presses it.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from prompt_toolkit import PromptSession
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.output import Output
from rich.console import Console
from rich.text import Text
from sqlalchemy import func, select

from bot import markdown as md
from bot.intake import Intake
from bot.local import DM, local_click, local_event, sent_local_posts
from orchestrator.models import OutboxRow
from orchestrator.services import Services

PROMPT = "you> "
WELCOME = (
    "ParallelOS local chat. Enter sends, Alt+Enter adds a line, /help for commands, "
    "/channel <domain> or #<domain> to switch, a button's number presses it, an empty Enter "
    "shows what arrived meanwhile, Ctrl-D leaves."
)
# Hex colours, which rich and prompt_toolkit both read; a domain's colour comes from its name.
PALETTE = ("#00afaf", "#af5fd7", "#5faf00", "#d7af00", "#5f87ff", "#ff5f5f", "#00d7d7",
           "#ff87d7", "#87d75f", "#ffaf5f", "#87afff")  # fmt: skip
_SPAN_STYLE = {"b": "bold", "i": "italic", "s": "strike", "code": "bold cyan"}


def default_history_path() -> Path:
    """The user's data dir: `$XDG_DATA_HOME/parallelos/chat-history` (~/.local/share/...)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "parallelos" / "chat-history"


def run_chat(
    svc: Services,
    *,
    history: Path | None = None,
    pt_input: Input | None = None,
    pt_output: Output | None = None,
    console: Console | None = None,
) -> int:
    """The terminal chat; jobs run in this process. Piped stdin reads line by line."""
    chat = Chat(svc)
    if pt_input is None and not sys.stdin.isatty():
        return _run_piped(chat)
    return _run_interactive(chat, history, pt_input, pt_output, console or Console())


@dataclass
class Chat:
    """What both modes share: the channel you talk in, posts seen, buttons shown."""

    svc: Services
    channel: str = DM
    last: int = 0
    buttons: dict[int, tuple[str, str, str, str]] = field(default_factory=dict)
    keys: dict[int, str] = field(default_factory=dict)  # outbox id -> key (cards' updates)
    _next: int = 1

    def __post_init__(self) -> None:
        self.intake = Intake(self.svc)
        with self.svc.db.session() as s:
            self.last = s.scalar(select(func.max(OutboxRow.id))) or 0

    def domains(self) -> list[str]:
        return self.svc.charters.names()

    def switch(self, name: str) -> str | None:
        """Talk in `name`'s channel (`dm` for the DM); an error in words if there is none."""
        name = name.strip().lstrip("#").lower()
        if name in ("dm", "", DM):
            self.channel = DM
            return None
        if name.startswith("local-"):
            name = name.removeprefix("local-")
        if name not in self.domains():
            return f"No domain {name!r}. Domains: {', '.join(self.domains())}, or dm."
        self.channel = f"local-{name}"
        return None

    def route(self, line: str, *, numbers: bool) -> str | None:
        """Handle one typed entry: switch, press, or send. Returns a notice to show, if any."""
        text = line.strip()
        if not text:
            return None
        if text == "/channel" or text.startswith("/channel "):
            target = text.removeprefix("/channel").strip()
            if not target:
                return f"You are in {label(self.channel)}. Domains: {', '.join(self.domains())}."
            return self.switch(target) or f"Now talking in {label(self.channel)}."
        m = re.match(r"#([A-Za-z0-9_-]+)(?:\s+(.*))?\Z", text, re.S)
        if m and m.group(1).lower() in [*self.domains(), "dm"]:
            self.switch(m.group(1))
            if not m.group(2):
                return f"Now talking in {label(self.channel)}."
            text = m.group(2)
        if numbers and text.isdigit() and int(text) in self.buttons:
            action, value, key, channel = self.buttons[int(text)]
            self._forget(key)
            self.intake.accept(local_click(action, value, key, channel=channel))
            return None
        self.intake.accept(local_event(text, channel=self.channel))
        return None

    def new_posts(self) -> list[dict[str, Any]]:
        rows = sent_local_posts(self.svc.db, after=self.last)
        if rows:
            self.last = cast(int, rows[-1]["id"])
        return rows

    def number(self, row: dict[str, Any]) -> list[int]:
        """Give the buttons of a shown post numbers; an updated card's old buttons go."""
        key = self.keys.get(cast(int, row["update_of"]), "") if row["update_of"] else ""
        key = key or str(row["key"])
        self.keys[cast(int, row["id"])] = key
        self._forget(key)
        numbers = []
        for b in row["post"].get("buttons", []):
            self.buttons[self._next] = (b["action"], b["value"], key, str(row["channel"] or DM))
            numbers.append(self._next)
            self._next += 1
        return numbers

    def _forget(self, key: str) -> None:
        for n in [n for n, b in self.buttons.items() if b[2] == key]:
            del self.buttons[n]


def label(channel: str) -> str:
    return "dm" if channel in (DM, "") else "#" + channel.removeprefix("local-")


def _run_piped(chat: Chat) -> int:
    while line := sys.stdin.readline():
        notice = chat.route(line, numbers=False)
        if notice:
            print(notice)
        for row in chat.new_posts():
            print(render_plain(str(row["channel"] or ""), cast(dict, row["post"])))
    return 0


def render_plain(channel: str, post: dict) -> str:
    """A post as terminal text: `[#local-travel] title / text / fields / [buttons]`."""
    where = "" if channel == DM else f"[#{channel}] "
    lines = [f"{where}{post['title']}" if post.get("title") else where.rstrip()]
    lines.append(post.get("text", ""))
    for f in post.get("sections", []) + post.get("fields", []):
        lines.append(f"  {f['label']}: {f['value']}")
    if post.get("buttons"):
        lines.append("  " + "  ".join(f"[{b['label']}]" for b in post["buttons"]))
    return "\n".join(line for line in lines if line)


def _run_interactive(
    chat: Chat, history: Path | None, pt_input: Input | None, pt_output: Output | None, out: Console
) -> int:
    path = history or default_history_path()
    kept: History
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        kept = FileHistory(str(path))
    except OSError as exc:
        out.print(f"History not kept ({path}: {exc.strerror}).", style="dim", markup=False)
        kept = InMemoryHistory()
    session: PromptSession[str] = PromptSession(
        history=kept,
        multiline=True,
        key_bindings=_keys(),
        input=pt_input,
        output=pt_output,
    )
    out.print(WELCOME, style="dim", markup=False, highlight=False)
    while True:
        prompt = FormattedText([(_colour(chat.channel, chat.domains()), label(chat.channel)),
                                ("", "> ")])  # fmt: skip
        try:
            line = session.prompt(prompt)
        except KeyboardInterrupt:
            continue
        except EOFError:
            return 0
        notice = chat.route(line, numbers=True)
        if notice:
            out.print(notice, style="italic", markup=False, highlight=False)
        for row in chat.new_posts():
            out.print(render_rich(row, chat.number(row), chat.domains()))


def _keys() -> KeyBindings:
    """Enter sends; Alt+Enter (Esc, Enter) adds a line; pastes keep theirs. Ctrl-J sends too:
    it is what Enter becomes when typed before the prompt takes the terminal over."""
    kb = KeyBindings()

    @kb.add("enter")
    @kb.add("c-j")
    def _send(event: KeyPressEvent) -> None:
        event.current_buffer.validate_and_handle()

    @kb.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    return kb


def _colour(channel: str, domains: list[str]) -> str:
    if channel in (DM, ""):
        return "bold"
    name = channel.removeprefix("local-")
    return "bold " + _domain_style(name)


def _domain_style(name: str) -> str:
    return PALETTE[int(hashlib.sha1(name.encode()).hexdigest(), 16) % len(PALETTE)]


def render_rich(row: dict[str, Any], numbers: list[int], domains: list[str]) -> Text:
    """A post for a terminal: channel tag and title, Markdown rendered, buttons numbered."""
    post = cast(dict[str, Any], row["post"])
    channel = str(row["channel"] or DM)
    out = Text()
    tag = label(channel)
    out.append(tag, style=_colour(channel, domains).replace("bold", "bold reverse", 1))
    if row.get("kind") == "update":
        out.append(" (updated)", style="dim")
    if post.get("title"):
        out.append(" ")
        out.append(post["title"], style="bold")
    out.append("\n")
    out.append_text(markdown_text(post.get("text", "")))
    for f in post.get("sections", []) + post.get("fields", []):
        out.append("\n  ")
        out.append(f"{f['label']}: ", style="bold")
        out.append_text(markdown_text(str(f["value"])))
    if post.get("context"):
        out.append("\n")
        out.append(str(post["context"]), style="dim")
    if numbers:
        out.append("\n ")
        for n, b in zip(numbers, post.get("buttons", []), strict=False):
            style = {"primary": "bold green", "danger": "bold red"}.get(b.get("style", ""), "bold")
            out.append(f" [{n}] ", style="reverse")
            out.append(f"{b['label']} ", style=style)
    for name in domains:
        out.highlight_regex(rf"(?<![\w-]){re.escape(name)}(?![\w-])", _domain_style(name))
    return out


def markdown_text(source: str) -> Text:
    """The core's Markdown (bot.markdown's flat layout) as rich text, span by span."""
    out = Text()
    for i, block in enumerate(md.parse(source)):
        if i:
            out.append("\n")
        if isinstance(block, md.Pre):
            out.append(block.text, style="dim")
            continue
        for j, line in enumerate(block.lines):
            if j:
                out.append("\n")
            if block.quote:
                out.append("│ ", style="dim")
            for span in line:
                style = " ".join(_SPAN_STYLE[s] for s in sorted(span.styles))
                if span.href:
                    style = f"{style} link {span.href}".strip()
                out.append(span.text, style=style or None)
    return out
