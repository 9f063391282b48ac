"""What every card shares: times and ages as people read them, who decided, posting a card and
editing every copy of it in place (`PostBatch.add(..., update_of=card)`).

A card is posted once and edited on every change, so it always shows the current status; a
finished card has no buttons. The inbox's and the approvals' own cards are in their folders.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.canonical import Button, InboundEvent, Platform, Post, Target
from orchestrator.models import OutboxRow
from orchestrator.posting import PostBatch
from orchestrator.published_views import clicked_in_view

__all__ = [
    "age",
    "button_json",
    "clicked_on",
    "edit_cards",
    "markdown_table",
    "post_cards",
    "when",
    "who",
]


def when(moment: datetime | None) -> str:
    """`2026-11-22 10:03 UTC` (timestamps are naive UTC)."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "?"


def age(span: timedelta) -> str:
    """A short human duration: `45m`, `3h`, `2d`."""
    minutes = max(0, int(span.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}m"
    return f"{minutes // 60}h" if minutes < 24 * 60 else f"{minutes // (24 * 60)}d"


# -- posting and editing ----------------------------------------------------------------------
def post_cards(posts: PostBatch, targets: Iterable[Target], card: Post) -> list[int]:
    """Post a card to each target; the outbox ids to edit later."""
    return [posts.add(target, card).id for target in targets]


def edit_cards(session: Session, posts: PostBatch, card_ids: Iterable[int], card: Post) -> None:
    """Queue an edit of every copy of a card, each after the card itself (same channel)."""
    for card_id in card_ids:
        row = session.get(OutboxRow, card_id)
        if row is not None:
            posts.add(Target.model_validate(row.target), card, update_of=card_id)


def clicked_on(session: Session, card_ids: Iterable[int], event: InboundEvent) -> bool:
    """The click came from one of the card's own messages, on the platform it was posted to.

    Button values are plain ids and Telegram lets a client send any callback data, so an
    `approve:<id>` from another card, or from another platform, must not count. The dashboard
    (a local click that names no message) acts on any card: it is the operator's own page,
    reachable only from this machine or by a signed-in operator. A click from a view (Slack's
    Home tab, no message) counts only in the view last published to that same person, carrying
    that button (`orchestrator.published_views`)."""
    if event.action_view_ref:
        return clicked_in_view(session, event)
    if event.platform is Platform.LOCAL and not event.action_message_ref:
        return True
    ids = list(card_ids)
    if not event.action_message_ref or not ids:
        return False
    rows = session.scalars(select(OutboxRow).where(OutboxRow.id.in_(ids)))
    return any(_posted_as(row, event) for row in rows)


def _posted_as(row: OutboxRow, event: InboundEvent) -> bool:
    channel = row.sent_channel or row.target.get("channel")
    return (
        row.platform == event.platform.value
        and row.sent_message_id == event.action_message_ref
        and str(channel) == event.channel
    )


def who(name: str | None, identity: str | None) -> str:
    return name or identity or "?"


def markdown_table(title: str, header: list[str], rows: list[list[str]]) -> str:
    """A titled Markdown table; pipes escaped and line breaks folded inside each cell."""
    lines = [f"# {title}", "", "| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for cells in rows:
        lines.append(
            "| " + " | ".join(" ".join(c.replace("|", "\\|").split()) for c in cells) + " |"
        )
    return "\n".join(lines) + "\n"


def button_json(buttons: list[Button]) -> list[dict[str, str]]:
    """A card's buttons as the dashboard's JSON."""
    return [{"label": b.label, "action": b.action, "value": b.value} for b in buttons]
