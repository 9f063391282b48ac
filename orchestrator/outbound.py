"""The narrow interface the core sends through; one implementation per platform in bot/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from orchestrator.canonical import Platform, Post, SentRef


class RetryLater(Exception):
    """A passing failure (rate limit, 5xx, network): try again after `seconds`."""

    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = seconds


class Unsettled(RetryLater):
    """The request went out, no answer came back, and the platform does not show the post yet:
    it may still land. Ask the platform again (`find_sent`) after `seconds`; never resend first."""


class PermanentFailure(Exception):
    """The platform refused for good (unknown channel, bad request): do not retry."""


class Unconfirmed(Exception):
    """The request went out but no answer came back: the post may be there. Never send again."""


class Unknown:
    """`find_sent` cannot tell whether a post reached the platform."""


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Destination:
    """A concrete place on a platform: channel or chat id, topic/thread, message replied to."""

    channel: str
    thread: str | None = None
    reply_to: str | None = None
    heading: str | None = None  # prefix for private-chat fallbacks ("travel")


@runtime_checkable
class Closing(Protocol):
    """A sender holding connections or a thread: `close()` releases them (the worker stops)."""

    def close(self) -> None: ...


class Sender(Protocol):
    platform: Platform

    def send(self, post: Post, dest: Destination, *, key: str) -> SentRef:
        """Post a message; `key` is stored with it where the platform allows (Slack metadata)."""
        ...

    def edit(self, post: Post, ref: SentRef) -> SentRef: ...

    def answer(self, post: Post, callback_ref: str, user: str, dest: Destination) -> None:
        """A private answer to one user's click (ephemeral / callback alert)."""
        ...

    def find_sent(
        self, dest: Destination, *, key: str, since: datetime
    ) -> SentRef | Unknown | None:
        """Whether a post with this key already reached the platform (crash recovery)."""
        ...

    def ensure_channel(self, *, domain: str, name: str) -> tuple[str, str | None]:
        """Find or create the domain's channel/topic; return (channel id, thread id)."""
        ...
