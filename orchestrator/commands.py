"""Read-only commands: `board` and `status <domain> [history]`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from domains import store
from domains.board import build_board, render_board_post
from domains.status_doc import UPDATE_PROTOCOL, render_status_post
from orchestrator import texts
from orchestrator.canonical import Post
from orchestrator.db import utcnow
from orchestrator.models import LogEvent

if TYPE_CHECKING:
    from orchestrator.pipeline import Context


def board(ctx: Context, args: list[str]) -> Post:
    charters = ctx.orch.charters
    rows = build_board(
        store.load_all(ctx.session),
        {n: charters.get(n).title for n in charters.names()},
        now=utcnow(),
        stale_after_days={n: charters.get(n).status_doc.stale_after_days for n in charters.names()},
    )
    return render_board_post(rows)


def status(ctx: Context, args: list[str]) -> Post:
    known = ctx.orch.charters.names()
    if not args:
        home = ctx.orch.directory.domain_of(ctx.event.platform, ctx.event.channel, ctx.event.thread)
        if home is None:
            return Post(text=texts.status_usage(known))
        args = [home]
    name = args[0].lower().lstrip("#")
    if name not in known:
        return Post(text=texts.unknown_domain(name, known))
    charter = ctx.orch.charters.get(name)
    if args[1:2] == ["history"]:
        return history(ctx, name, charter.title)
    doc = store.load_doc(ctx.session, name)
    return render_status_post(doc, charter.title, UPDATE_PROTOCOL)


HISTORY = 15


def history(ctx: Context, domain: str, title: str) -> Post:
    """The doc's latest changes from the event log: when, who, what, old → new."""
    rows = ctx.session.scalars(
        select(LogEvent)
        .where(LogEvent.kind == "status.changed", LogEvent.domain == domain)
        .order_by(LogEvent.id.desc())
        .limit(HISTORY)
    ).all()
    lines = [
        texts.history_line(
            f"{r.at:%Y-%m-%d %H:%M}",
            r.actor,
            r.subject or "",
            r.data.get("old", ""),
            r.data.get("new", ""),
        )
        for r in rows
    ]
    return Post(title=texts.history_title(title), text="\n".join(lines) or texts.NO_HISTORY)
