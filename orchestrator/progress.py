"""What the user sees while an agent works: a best-effort progress port, per platform.

The kernel names the port; bot/ implements it per platform (Slack's
`assistant.threads.setStatus`, Telegram's `sendChatAction` and, in private chats,
`sendMessageDraft`). A turn opens one `Progress` for the message it answers, says what it is
doing (`status("is thinking…")`, then one line per tool step), and calls `done()` when the final
answer is out or the turn failed. Progress calls are side effects only: not outbox rows, never
retried, never allowed to raise into or block the turn. The final answer stays the outbox's one
durable post (exactly once); a status lost to a rate limit or a crash is simply not shown.

The answer itself is shown live too: `answer(text)` gets the whole answer so far while the model
writes it, and the platform shows it at a bounded rate (a Slack stream, a Telegram draft, or an
edited placeholder). A live message that takes the placeholder's place is announced with
`LiveTurn.replace` *before* it is used, so the turn's durable final post goes to it (or is sent
anew), and a later run of the turn finds it (`LiveTurn.orphan`) and closes it. `close()` ends
the preview before the final post is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from orchestrator.canonical import InboundEvent, Platform, SentRef

__all__ = ["LiveTurn", "Progress", "ProgressSource", "NO_PROGRESS", "Safe", "open_progress"]

log = logging.getLogger(__name__)


class Progress(Protocol):
    def status(self, text: str) -> None:
        """Show what the agent is doing now ("is thinking…", "updating the headline…")."""
        ...

    def answer(self, text: str) -> None:
        """The answer so far (the whole of it, Markdown), shown live at a bounded rate."""
        ...

    def close(self) -> None:
        """End the live answer (stop a stream) before the final post is written (idempotent)."""
        ...

    def done(self) -> None:
        """Clear the status and stop any repeating indicator (idempotent)."""
        ...


def _no_replace(ref: SentRef | None) -> None:
    return None


@dataclass(frozen=True)
class LiveTurn:
    """What a turn's live answer may use, and how it tells the turn what it did."""

    placeholder: SentRef | None = None  # the turn's post where the user asked, once delivered
    orphan: SentRef | None = None  # a stream an earlier run of this turn left, maybe open
    # The live message now takes the placeholder's place: a stream's own message (Slack), or
    # None when the final answer is to be sent anew (a Telegram draft). Called, and durable,
    # before the placeholder is removed or the stream is written to.
    replace: Callable[[SentRef | None], None] = _no_replace
    title: str | None = None  # the placeholder's heading ("→ travel · copy in #pos-travel")


class ProgressSource(Protocol):
    def open(self, event: InboundEvent, *, turn_id: int, live: LiveTurn) -> Progress | None:
        """Live progress for the turn answering `event`; None where the platform has none."""
        ...


class _Nothing:
    def status(self, text: str) -> None:
        return None

    def answer(self, text: str) -> None:
        return None

    def close(self) -> None:
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

    def answer(self, text: str) -> None:
        try:
            self.inner.answer(text)
        except Exception as exc:
            log.info("live answer not shown (%s)", type(exc).__name__)

    def close(self) -> None:
        try:
            self.inner.close()
        except Exception as exc:
            log.info("live answer not closed (%s)", type(exc).__name__)

    def done(self) -> None:
        try:
            self.inner.done()
        except Exception as exc:
            log.info("progress not cleared (%s)", type(exc).__name__)


def open_progress(
    sources: Mapping[Platform, ProgressSource],
    event: InboundEvent,
    *,
    turn_id: int,
    live: LiveTurn | None = None,
) -> Progress:
    """The event's platform's progress, wrapped so it cannot break the turn; else nothing."""
    source = sources.get(event.platform)
    if source is None:
        return NO_PROGRESS
    try:
        opened = source.open(event, turn_id=turn_id, live=live or LiveTurn())
    except Exception as exc:
        log.info("progress not opened (%s)", type(exc).__name__)
        return NO_PROGRESS
    return NO_PROGRESS if opened is None else Safe(opened)
