"""👍/👎 under an agent's answer (Slack's feedback buttons): each click is an event in the log.

The button carries `<turn id>:good|bad`. The rating is recorded as `agent.feedback` with the
turn, its domain and who clicked; the clicker gets a private thank-you. Nothing else changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domains.agent import texts
from domains.agent.models import AgentTurnRow
from orchestrator import texts as core_texts
from orchestrator.canonical import Post
from orchestrator.eventlog import record
from orchestrator.features import Feature

if TYPE_CHECKING:
    from orchestrator.context import Context

__all__ = ["feature", "rate"]

RATINGS = ("good", "bad")


def feature() -> Feature:
    return Feature(name="feedback", actions={"feedback": rate})


def rate(ctx: Context, value: str) -> None:
    turn_id, _, rating = value.partition(":")
    turn = ctx.session.get(AgentTurnRow, int(turn_id)) if turn_id.isdigit() else None
    if turn is None or rating not in RATINGS:
        ctx.posts.answer(ctx.event, Post(text=core_texts.stale_action()))
        return
    record(ctx.session, kind="agent.feedback", actor=ctx.event.identity, domain=turn.domain,
           subject=f"turn:{turn.id}", data={"rating": rating, "event": turn.event_id},
           source_event_id=ctx.event_id)  # fmt: skip
    ctx.posts.answer(ctx.event, Post(text=texts.FEEDBACK_THANKS))
