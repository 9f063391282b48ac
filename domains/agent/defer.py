"""Tiered routing, the pipeline's half: a message the offline router left open (no domain,
some candidates) becomes a queued routing turn, inside the event's transaction.

The job's half, which asks the model, is `domains.agent.routing`; this half never calls the
model, so the processes that only queue turns (the web process) do not load its SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domains.agent import budget
from domains.agent.models import AgentTurnRow, TurnKind
from orchestrator.charters import HUB
from orchestrator.context import Context
from orchestrator.statuses import TurnStatus

if TYPE_CHECKING:
    from orchestrator.router import RouteDecision

__all__ = ["defer_route"]


def defer_route(ctx: Context, decision: RouteDecision) -> bool:
    """In the pipeline: queue a routing turn; False when the hub's budget is spent."""
    if budget.state(ctx.session, ctx.orch.charters, HUB).exhausted:
        return False
    ctx.session.add(
        AgentTurnRow(
            kind=TurnKind.ROUTE.value,
            event_id=ctx.event_id,
            domain="",
            status=TurnStatus.QUEUED.value,
            attempts=0,
            trigger_event_id=ctx.event_id,
            in_home=False,
            reply_posts=[],
            prefix="",
            text=ctx.event.text,
            data={"candidates": list(decision.candidates)},
        )  # fmt: skip
    )
    ctx.session.flush()
    ctx.jobs.append(("agent_route", {"event_id": ctx.event_id}))
    return True
