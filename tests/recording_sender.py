"""A recording Sender for core tests: remembers posts, can be told to fail or to crash."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from orchestrator.canonical import Platform, Post, SentRef
from orchestrator.outbound import Destination, PermanentFailure, RetryLater


@dataclass
class Sent:
    key: str
    dest: Destination
    post: Post
    ref: SentRef


@dataclass
class RecordingSender:
    platform: Platform = Platform.SLACK
    sent: list[Sent] = field(default_factory=list)
    edits: list[tuple[SentRef, Post]] = field(default_factory=list)
    answers: list[tuple[str, str, Post]] = field(default_factory=list)
    channels: dict[str, str] = field(default_factory=dict)
    failures: list[Exception] = field(default_factory=list)  # raised by the next sends, in order
    before_send: Callable[[str], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, post: Post, dest: Destination, *, key: str) -> SentRef:
        if self.before_send:
            self.before_send(key)
        with self.lock:
            if self.failures:
                raise self.failures.pop(0)
            ref = SentRef(
                channel=dest.channel, message_id=f"m{len(self.sent) + 1}", thread=dest.thread
            )
            self.sent.append(Sent(key, dest, post, ref))
            return ref

    def edit(self, post: Post, ref: SentRef) -> SentRef:
        self.edits.append((ref, post))
        return ref

    def answer(self, post: Post, callback_ref: str, user: str, dest: Destination) -> None:
        self.answers.append((callback_ref, user, post))

    def find_sent(self, dest: Destination, *, key: str, since: datetime) -> SentRef | None:
        return next((s.ref for s in self.sent if s.key == key), None)

    def ensure_channel(self, *, domain: str, name: str) -> tuple[str, str | None]:
        return self.channels.setdefault(domain, f"C{name.upper()}"), None

    def in_channel(self, channel: str) -> list[Sent]:
        return [s for s in self.sent if s.dest.channel == channel]


def rate_limited(seconds: float = 0.0) -> RetryLater:
    return RetryLater(seconds, "ratelimited")


def refused() -> PermanentFailure:
    return PermanentFailure("channel_not_found")
