"""The cross-domain inbox (CONTRACT §7.3): explicit hand-offs between domains.

`Ask finance high: approve the trip budget -- flights 420 EUR, hotel 300` in travel's channel
makes one entry in finance's inbox. Private by default: the entry carries the ask and only the
context the sender put after ` -- ` on the Ask line; the rest of the message and the sender's
status doc stay with the sender, and the entry's privacy note says what was withheld.

The entry's card (Accept, Done, Decline) is posted in the receiving domain's channel or topic;
each click moves the status (open → accepted → done, open/accepted → declined), edits the
card and is logged; the sender's thread hears when its ask is done or declined.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from domains.cards import age, clicked_on, edit_cards
from domains.inbox import cards
from domains.inbox.models import InboxEntryRow
from domains.status_lines import Ask
from orchestrator import statuses, texts
from orchestrator.canonical import Post, Target, dump
from orchestrator.db import utcnow
from orchestrator.eventlog import record
from orchestrator.posting import reply_target
from orchestrator.statuses import InboxStatus

if TYPE_CHECKING:
    from orchestrator.context import Context

CONTEXT_MARK = " -- "
TITLE_CHARS = 60
UNFINISHED = (InboxStatus.OPEN.value, InboxStatus.ACCEPTED.value)
BUTTONS = {
    cards.ACCEPT: InboxStatus.ACCEPTED,
    cards.DONE: InboxStatus.DONE,
    cards.DECLINE: InboxStatus.DECLINED,
}


# -- creating entries ---------------------------------------------------------------------------
def ask(ctx: Context, from_domain: str, op: Ask) -> str:
    """One entry for one Ask line; the line for the sender's confirmation."""
    if op.to_domain == from_domain:
        return texts.ask_own_domain(from_domain)
    the_ask, context = split_context(op.text)
    own = getattr(op, "privacy_note", "").strip()  # an agent's handoff says what it withheld
    others = 0 if own else sum(1 for ln in ctx.event.text.splitlines() if ln.strip()) - 1
    note = texts.privacy_note(from_domain, bool(context), max(0, others))
    entry = InboxEntryRow(
        title=brief_title(the_ask),
        from_domain=from_domain,
        to_domain=op.to_domain,
        priority=op.priority,
        ask=the_ask,
        context=context,
        privacy_note=f"{note} {own}".strip(),
        status=InboxStatus.OPEN.value,
        created_by=ctx.actor,
        created_name=ctx.event.user_name,
        platform=ctx.event.platform.value,
        origin=dump(reply_target(ctx.event)),
        card_posts=[],
        source_event_id=ctx.event_id,
    )
    ctx.session.add(entry)
    ctx.session.flush()
    rows = ctx.posts.to_domain(
        ctx.orch.settings, ctx.event.platform, op.to_domain, cards.inbox_card(entry)
    )
    entry.card_posts = [row.id for row in rows]
    _log(ctx, entry, "inbox.created", title=entry.title, priority=entry.priority)
    return texts.ask_sent(op.to_domain, op.priority, entry.id, bool(context))


def split_context(text: str) -> tuple[str, str]:
    """(`ask`, `context`): the context is whatever follows ` -- ` on the Ask line."""
    the_ask, _, context = text.partition(CONTEXT_MARK)
    if not the_ask.strip():  # "Ask x: -- y" would leave no ask: keep it all as the ask
        return text.strip(), ""
    return the_ask.strip(), context.strip()


def brief_title(text: str) -> str:
    """The first sentence, cut at a word to at most TITLE_CHARS characters."""
    first = " ".join(text.split()).split(". ")[0].rstrip(".")
    if len(first) <= TITLE_CHARS:
        return first
    return first[: TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


# -- buttons ----------------------------------------------------------------------------------
def mover(new: InboxStatus) -> Callable[[Context, str], None]:
    def click(ctx: Context, value: str) -> None:
        move(ctx, value, new)

    return click


def move(ctx: Context, value: str, new: InboxStatus) -> None:
    """Move an entry's status; an impossible move is answered privately and changes nothing."""
    known = value.isdigit() and len(value) <= 18  # a BIGINT, not any string of digits
    entry = ctx.session.get(InboxEntryRow, int(value)) if known else None
    if entry is None or not clicked_on(ctx.session, entry.card_posts, ctx.event):
        ctx.posts.answer(ctx.event, Post(text=texts.stale_action()))
        return
    old = InboxStatus(entry.status)
    moved = statuses.can_move(old, new) and _apply(ctx, entry, old, new)
    if not moved:
        ctx.session.refresh(entry)
        ctx.posts.answer(ctx.event, Post(text=texts.inbox_cannot(entry.status, new.value)))
        return
    ctx.session.refresh(entry)
    edit_cards(ctx.session, ctx.posts, entry.card_posts, cards.inbox_card(entry))
    _log(ctx, entry, f"inbox.{new.value}", old=old.value, new=new.value)
    if new in (InboxStatus.DONE, InboxStatus.DECLINED):
        who = ctx.event.user_name or ctx.actor
        notice = texts.ask_finished(entry.id, entry.to_domain, new.value, entry.title, who)
        ctx.posts.add(Target.model_validate(entry.origin), Post(text=notice))


def _apply(ctx: Context, entry: InboxEntryRow, old: InboxStatus, new: InboxStatus) -> bool:
    """The move as a conditional UPDATE: of two racing clicks, one moves the entry."""
    return statuses.move(
        ctx.session, InboxEntryRow.status, new, InboxEntryRow.id == entry.id, old=old,
        updated_at=utcnow(), updated_by=ctx.actor, updated_name=ctx.event.user_name,
    )  # fmt: skip


def _log(ctx: Context, entry: InboxEntryRow, kind: str, **data: str) -> None:
    record(
        ctx.session,
        kind=kind,
        actor=ctx.actor,
        domain=entry.to_domain,
        subject=f"inbox:{entry.id}",
        data={"from": entry.from_domain, "to": entry.to_domain, **data},
        source_event_id=ctx.event_id,
    )


# -- listing ----------------------------------------------------------------------------------
def open_entries(
    session: Session, domain: str | None = None, limit: int = 50
) -> list[InboxEntryRow]:
    """Unfinished entries (open or accepted), high priority first, then oldest first."""
    rank = case({"high": 0, "normal": 1}, value=InboxEntryRow.priority, else_=2)
    query = select(InboxEntryRow).where(InboxEntryRow.status.in_(UNFINISHED))
    if domain is not None:
        query = query.where(InboxEntryRow.to_domain == domain)
    query = query.order_by(rank, InboxEntryRow.created_at, InboxEntryRow.id).limit(limit)
    return list(session.scalars(query))


def inbox_command(ctx: Context, args: list[str]) -> Post:
    """`inbox [domain]`: a domain's open entries (in a domain's channel: that domain's)."""
    known = ctx.orch.charters.names()
    domain = args[0].lower().lstrip("#") if args else _home(ctx)
    if domain is not None and domain not in known:
        return Post(text=texts.unknown_domain(domain, known))
    entries = open_entries(ctx.session, domain)
    now = utcnow()
    lines = [
        f"• *{e.priority}* #{e.id} {e.from_domain} → {e.to_domain}: {e.title} "
        f"({e.status}, {age(now - e.created_at)} old)"
        for e in entries
    ]
    return Post(title=texts.inbox_heading(domain), text="\n".join(lines) or texts.INBOX_EMPTY)


def _home(ctx: Context) -> str | None:
    event = ctx.event
    return ctx.orch.directory.domain_of(event.platform, event.channel, event.thread)
