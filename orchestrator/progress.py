"""What the user sees while an agent works: a best-effort progress port, per platform.

The kernel names the port; bot/ implements it per platform (Slack's
`assistant.threads.setStatus`, Telegram's `sendChatAction` and, in private chats,
`sendMessageDraft`). A turn opens one `Progress` for the message it answers, says what it is
doing (`status("is thinking…")`, then one line per tool step), and calls `done()` when the final
answer is out or the turn failed. Progress calls are side effects only: not outbox rows, never
retried, never allowed to raise into or block the turn. The final answer stays the outbox's one
durable post (exactly once); a status lost to a rate limit or a crash is simply not shown.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

from orchestrator.canonical import InboundEvent, Platform

__all__ = ["Progress", "ProgressSource", "NO_PROGRESS", "Safe", "open_progress"]

log = logging.getLogger(__name__)


class Progress(Protocol):
    def status(self, text: str) -> None:
        """Show what the agent is doing now ("is thinking…", "updating the headline…")."""
        ...

    def done(self) -> None:
        """Clear the status and stop any repeating indicator (idempotent)."""
        ...


class ProgressSource(Protocol):
    def open(self, event: InboundEvent, *, turn_id: int) -> Progress | None:
        """Live progress for the turn answering `event`; None where the platform has none."""
        ...


class _Nothing:
    def status(self, text: str) -> None:
        return None

    def done(self) -> None:
        return None


NO_PROGRESS: Progress = _Nothing()


class Safe:
    """A platform's `Progress` whose failures are logged (by type only) and swallowed."""

    def __init__(self, inner: Progress) -> None:
        self.inner = inner

    def status(self, text: str) -> None:
        try:
            self.inner.status(text)
        except Exception as exc:  # best effort: the turn never waits on or fails for a status
            log.info("progress status not shown (%s)", type(exc).__name__)

    def done(self) -> None:
        try:
            self.inner.done()
        except Exception as exc:
            log.info("progress not cleared (%s)", type(exc).__name__)


def open_progress(
    sources: Mapping[Platform, ProgressSource], event: InboundEvent, *, turn_id: int
) -> Progress:
    """The event's platform's progress, wrapped so it cannot break the turn; else nothing."""
    source = sources.get(event.platform)
    if source is None:
        return NO_PROGRESS
    try:
        opened = source.open(event, turn_id=turn_id)
    except Exception as exc:
        log.info("progress not opened (%s)", type(exc).__name__)
        return NO_PROGRESS
    return NO_PROGRESS if opened is None else Safe(opened)
