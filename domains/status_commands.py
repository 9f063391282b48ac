"""Status docs and the board as a feature: `board`, `status <domain> [history]`, their
dashboard views and their files in `parallelos export`."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains import store
from domains.board import BoardRow, build_board, render_board_markdown, render_board_post
from domains.reminders.service import open_reminders
from domains.reminders.views import list_line
from domains.status_doc import (
    UPDATE_PROTOCOL,
    StatusDoc,
    render_status_markdown,
    render_status_post,
)
from orchestrator import texts
from orchestrator.canonical import Field_, Post
from orchestrator.charters import CharterSet
from orchestrator.db import utcnow
from orchestrator.features import Feature
from orchestrator.models import LogEvent

if TYPE_CHECKING:
    from orchestrator.context import Context


def feature(charters: CharterSet) -> Feature:
    return Feature(
        name="status",
        commands={"board": board, "status": status},
        views={
            "board": partial(_board_view, charters),
            "status": partial(_status_view, charters),
        },
        exports=(partial(_export, charters),),
    )


def board_rows(session: Session, charters: CharterSet) -> list[BoardRow]:
    """The headline board as every surface shows it: titles and staleness from the charters."""
    names = charters.names()
    return build_board(
        store.load_all(session),
        {n: charters.get(n).title for n in names},
        now=utcnow(),
        stale_after_days={n: charters.get(n).status_doc.stale_after_days for n in names},
    )


def board(ctx: Context, args: list[str]) -> Post:
    return render_board_post(board_rows(ctx.session, ctx.orch.charters))


def _board_view(charters: CharterSet, session: Session) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in board_rows(session, charters)]


def _status_view(charters: CharterSet, session: Session) -> dict[str, Any]:
    docs = store.load_all(session)
    return {
        n: (docs.get(n) or StatusDoc(domain=n)).model_dump(mode="json") for n in charters.names()
    }


def _export(charters: CharterSet, session: Session) -> dict[str, str]:
    """status/<domain>.md for every domain, and board.md."""
    docs = store.load_all(session)
    files = {
        f"status/{n}.md": render_status_markdown(
            docs.get(n) or StatusDoc(domain=n), charters.get(n).title
        )
        for n in charters.names()
    }
    files["board.md"] = render_board_markdown(board_rows(session, charters))
    return files


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
    return with_follow_ups(ctx, name, render_status_post(doc, charter.title, UPDATE_PROTOCOL))


FOLLOW_UPS = "Open follow-ups"


def with_follow_ups(ctx: Context, domain: str, post: Post) -> Post:
    """The domain's open reminders after the doc's stable headings (none: nothing added)."""
    zone = ctx.orch.settings.zone
    lines = [list_line(row, zone) for row in open_reminders(ctx.session, domain, limit=10)]
    if not lines:
        return post
    section = Field_(label=f"{FOLLOW_UPS} ({zone})", value="\n".join(lines))
    return post.model_copy(update={"sections": [*post.sections, section]})


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
