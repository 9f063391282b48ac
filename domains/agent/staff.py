"""The kernel's `Staff` with a model: offline handling first, then an agent turn.

The composition root uses it when `ANTHROPIC_API_KEY` is set; see `domains.agent.dispatch`
for the immediate answer and `domains.agent.defer` for messages the router left open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domains.agent.defer import defer_route
from domains.agent.dispatch import agent_step, attach_replies
from orchestrator.canonical import InboundEvent, Post
from orchestrator.models import OutboxRow

if TYPE_CHECKING:
    from orchestrator.context import Context
    from orchestrator.router import RouteDecision


class AgentStaff:
    def step(self, ctx: Context, domain: str, event: InboundEvent, *, in_home: bool) -> Post:
        return agent_step(ctx.orch, ctx, domain, event, in_home=in_home)

    def answered(
        self, ctx: Context, domain: str, event: InboundEvent, rows: list[OutboxRow]
    ) -> None:
        attach_replies(ctx, domain, event, rows)

    def defer_route(self, ctx: Context, decision: RouteDecision) -> bool:
        return defer_route(ctx, decision)
