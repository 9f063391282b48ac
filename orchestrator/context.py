"""What handling one event may touch: the `Context` every handler, step and action gets.

`Kernel` is the part of the orchestrator a handler may use (settings, charters, router,
channels, and handing a message to a domain); `orchestrator.pipeline.Orchestrator` is the one
implementation. Keeping both here lets handlers, features and staff name them without importing
the pipeline that calls them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from orchestrator.canonical import InboundEvent, Post
from orchestrator.channels import ChannelDirectory
from orchestrator.charters import CharterSet
from orchestrator.db import Database
from orchestrator.live import LiveCharters
from orchestrator.posting import PostBatch
from orchestrator.router import Router
from orchestrator.settings import Settings

__all__ = ["Context", "Job", "Kernel"]

Job = tuple[str, dict[str, Any]]  # (job function name in jobs.tasks, its keyword arguments)


class Kernel(Protocol):
    settings: Settings
    db: Database
    directory: ChannelDirectory
    live: LiveCharters

    @property
    def charters(self) -> CharterSet:
        """The active charters (they may change between events, never within one)."""
        ...

    @property
    def router(self) -> Router: ...

    def domain_message(
        self, ctx: Context, domain: str, *, in_home: bool, source: InboundEvent | None = None
    ) -> None:
        """Hand a message that belongs to `domain` to its staff and post the answer."""
        ...

    def ask_which(self, ctx: Context, candidates: list[str]) -> Post:
        """A question back, with the candidate domains (or all of them) as buttons."""
        ...


@dataclass
class Context:
    """What handling one event may touch, inside one transaction."""

    session: Session
    event: InboundEvent
    event_id: int
    posts: PostBatch
    orch: Kernel
    jobs: list[Job] = field(default_factory=list)  # queued only once the transaction commits

    @property
    def actor(self) -> str:
        return self.event.identity
