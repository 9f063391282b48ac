"""The turn's side of its live answer: where the answer is shown, and what replaced what.

`live_turn` tells the platform (`orchestrator.progress.LiveTurn`) which delivered post is the
placeholder where the user asked, and which stream an earlier run of this turn left behind. When
the platform's live message takes the placeholder's place, `replace` writes it down first, in
one short transaction, while this run still holds the turn:

- a stream's own message (Slack) becomes an outbox row already sent, and takes the
  placeholder's place in `reply_posts`: the final answer edits it (`finish`), and a later run
  finds it in `data["stream"]` and closes it;
- `None` (a Telegram draft) drops the placeholder from `reply_posts` into `data["anew"]`: the
  final answer is sent as a new message there, which replaces the draft on the user's screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domains.agent.models import AgentTurnRow, Claimed
from orchestrator import outbox
from orchestrator.canonical import Post, SentRef, Target
from orchestrator.models import OutboxRow
from orchestrator.progress import LiveTurn

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from orchestrator.services import Services

__all__ = ["Lost", "asked_row", "live_turn", "stream_of"]


class Lost(Exception):
    """Another run holds the turn now: this run's live message must not replace anything."""


def asked_row(s: Session, claimed: Claimed, ids: list[int]) -> OutboxRow | None:
    """The turn's post in the conversation where the user asked (not a domain channel copy)."""
    for outbox_id in ids:
        row = s.get(OutboxRow, outbox_id)
        if row is not None and row.target.get("channel") == claimed.event.channel:
            return row
    return None


def stream_of(data: dict[str, object] | None) -> SentRef | None:
    saved = (data or {}).get("stream")
    return SentRef.model_validate(saved) if isinstance(saved, dict) else None


def live_turn(svc: Services, claimed: Claimed) -> LiveTurn:
    with svc.db.session() as s:
        turn = s.get(AgentTurnRow, claimed.turn_id)
        row = asked_row(s, claimed, list(turn.reply_posts or [])) if turn is not None else None
        placeholder = _delivered(row)
        orphan = stream_of(turn.data if turn is not None else None)
        placeholder_id = row.id if row is not None and placeholder is not None else None
        title = row.post.get("title") if row is not None else None

    def replace(ref: SentRef | None) -> None:
        _replace(svc, claimed, placeholder_id, ref)

    return LiveTurn(placeholder=placeholder, orphan=orphan, replace=replace, title=title)


def _delivered(row: OutboxRow | None) -> SentRef | None:
    if row is None or not row.sent_message_id:
        return None
    return SentRef(channel=row.sent_channel or "", message_id=row.sent_message_id,
                   thread=row.sent_thread)  # fmt: skip


def _replace(svc: Services, claimed: Claimed, placeholder: int | None, ref: SentRef | None) -> None:
    with svc.db.session() as s:
        turn = s.get(AgentTurnRow, claimed.turn_id, with_for_update=True)
        if turn is None or turn.attempts != claimed.attempt or placeholder is None:
            raise Lost(f"turn {claimed.turn_id} is not this run's to show")
        posts, data = list(turn.reply_posts or []), dict(turn.data or {})
        old = s.get(OutboxRow, placeholder)
        if ref is None:
            posts = [p for p in posts if p != placeholder]
            data["anew"] = sorted({*data.get("anew", []), placeholder})
        else:
            target = Target(platform=claimed.event.platform, channel=ref.channel, thread=ref.thread)
            row = outbox.add_sent(
                s, key=f"agent{claimed.turn_id}-live{claimed.attempt}", target=target,
                post=Post(text="", title=old.post.get("title") if old is not None else None),
                ref=ref, source_event_id=claimed.event_id,
            )  # fmt: skip
            posts = [row.id if p == placeholder else p for p in posts]
            data["stream"] = ref.model_dump(exclude_none=True)
        turn.reply_posts, turn.data = posts, data
