"""`parallelos chat`: the local chat in a terminal, on the same orchestrator and database."""

from __future__ import annotations

import sys
from typing import Any, cast

from sqlalchemy import func, select

from bot.intake import Intake
from bot.local import local_event, sent_local_posts
from orchestrator.models import OutboxRow
from orchestrator.services import Services

PROMPT = "you> "


def run_chat(svc: Services) -> int:
    """Read lines from stdin and show what the bot posts; jobs run in this process."""
    intake = Intake(svc)
    last = _last_id(svc)
    interactive = sys.stdin.isatty()
    if interactive:
        print("ParallelOS local chat. Type a message, /help for commands, Ctrl-D to leave.")
    while True:
        if interactive:
            print(PROMPT, end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            return 0
        if not line.strip():
            continue
        intake.accept(local_event(line))
        last = _show_new(svc, last)


def _last_id(svc: Services) -> int:
    with svc.db.session() as s:
        return s.scalar(select(func.max(OutboxRow.id))) or 0


def _show_new(svc: Services, after: int) -> int:
    for post in sent_local_posts(svc.db, after=after):
        print(render_plain(str(post["channel"] or ""), cast(dict[str, Any], post["post"])))
        after = cast(int, post["id"])
    return after


def render_plain(channel: str, post: dict) -> str:
    """A post as terminal text: `[#local-travel] title / text / fields / [buttons]`."""
    where = "" if channel == "local-dm" else f"[#{channel}] "
    lines = [f"{where}{post['title']}" if post.get("title") else where.rstrip()]
    lines.append(post.get("text", ""))
    for f in post.get("sections", []) + post.get("fields", []):
        lines.append(f"  {f['label']}: {f['value']}")
    if post.get("buttons"):
        lines.append("  " + "  ".join(f"[{b['label']}]" for b in post["buttons"]))
    return "\n".join(line for line in lines if line)
