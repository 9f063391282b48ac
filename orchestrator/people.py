"""People's display names, filled in where events are handled, not where they arrive.

Some platforms' events carry only a user id (Slack); mirrored posts, cards, the board's owner
column and the dashboard show names (CONTRACT §6). The platform's sender, when it can look
names up, is its `Names`: the pipeline asks it for each event it handles, before routing, and
stores the named event (`Orchestrator.process`). The edge never waits for a lookup, so
Slack's 3-second acknowledgement does not depend on `users.info`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from orchestrator.canonical import InboundEvent

__all__ = ["Names"]


@runtime_checkable
class Names(Protocol):
    def named(self, event: InboundEvent) -> InboundEvent:
        """The event with its author's display name and its mentions of people as names; the
        event itself when nothing is known (a lookup that fails leaves the ids)."""
        ...
