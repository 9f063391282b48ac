"""What the kernel asks of the staff (`domains/`) for a message that belongs to a domain.

The pipeline routes; the staff answers. Offline the answer comes from the status-line grammar
(`domains.step.OfflineStaff`); with a model key, an agent turn follows
(`domains.agent.staff.AgentStaff`). The composition root picks one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from orchestrator.canonical import InboundEvent, Post
from orchestrator.models import OutboxRow

if TYPE_CHECKING:
    from orchestrator.context import Context
    from orchestrator.router import RouteDecision

__all__ = ["Staff"]


class Staff(Protocol):
    def step(self, ctx: Context, domain: str, event: InboundEvent, *, in_home: bool) -> Post:
        """The domain's immediate answer to a message, inside the event's transaction."""
        ...

    def answered(
        self, ctx: Context, domain: str, event: InboundEvent, rows: list[OutboxRow]
    ) -> None:
        """Where that answer was posted (an agent's later reply edits it there)."""
        ...

    def defer_route(self, ctx: Context, decision: RouteDecision) -> bool:
        """Take an ambiguous message off the router's hands (True), or leave it (False)."""
        ...
