"""A Slack-shaped conversation for core inbox and approval tests (RecordingSender, no HTTP)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from domains.inbox.models import ApprovalRow, InboxEntryRow
from jobs import tasks
from orchestrator.canonical import EventKind, InboundEvent, Platform, Post
from orchestrator.db import Database
from orchestrator.ingest import store_events
from orchestrator.jobqueue import JobQueue
from orchestrator.models import LogEvent
from orchestrator.services import Services
from tests.helpers import make_services
from tests.recording_sender import RecordingSender, Sent

OPERATOR, OTHER_OPERATOR, MEMBER = "U1", "U3", "U2"  # MEMBER may talk, may not decide
TRAVEL, FINANCE = "CPOS-TRAVEL", "CPOS-FINANCE"
_ids = itertools.count(1)


@dataclass
class Chat:
    db: Database
    svc: Services
    sender: RecordingSender = field(default_factory=RecordingSender)

    def say(self, text: str, *, user: str = OPERATOR, channel: str = TRAVEL) -> str:
        """A message in a channel; returns its ts (the thread the bot answers in)."""
        n = next(_ids)
        ts = f"{1000 + n}.0001"
        self._run(
            InboundEvent(platform=Platform.SLACK, external_id=f"Ev{n}", kind=EventKind.MESSAGE,
                         user=user, channel=channel, text=text, message_ref=ts)
        )  # fmt: skip
        return ts

    def click(self, action: str, value: str, *, user: str = OPERATOR, channel: str = FINANCE,
              external_id: str | None = None) -> None:  # fmt: skip
        """A button click (a new Slack action_ts unless `external_id` repeats one)."""
        n = next(_ids)
        self._run(
            InboundEvent(platform=Platform.SLACK, external_id=external_id or f"act:{user}:{n}",
                         kind=EventKind.ACTION, user=user, channel=channel, action_id=action,
                         action_value=value, action_callback_ref=f"https://hooks.test/{n}")
        )  # fmt: skip

    def command(self, name: str, text: str = "", *, channel: str = "CELSEWHERE") -> Post:
        n = next(_ids)
        self._run(
            InboundEvent(platform=Platform.SLACK, external_id=f"cmd{n}", kind=EventKind.COMMAND,
                         user=OPERATOR, channel=channel, command=name, text=text)
        )  # fmt: skip
        return self.sender.sent[-1].post

    def _run(self, event: InboundEvent) -> None:
        (event_id,) = store_events(self.db, [event])
        if event_id is not None:
            tasks.process_event(event_id)

    # -- reading --------------------------------------------------------------------------
    def posts_in(self, channel: str) -> list[Sent]:
        return self.sender.in_channel(channel)

    def edits_of(self, sent: Sent) -> list[Post]:
        return [post for ref, post in self.sender.edits if ref.message_id == sent.ref.message_id]

    def answers_to(self, user: str) -> list[str]:
        return [post.text for _, who, post in self.sender.answers if who == user]

    def entries(self) -> list[InboxEntryRow]:
        with self.db.session() as s:
            return list(s.scalars(select(InboxEntryRow).order_by(InboxEntryRow.id)))

    def approval(self) -> ApprovalRow:
        with self.db.session() as s:
            return s.scalars(select(ApprovalRow)).one()

    def events(self, prefix: str) -> list[LogEvent]:
        with self.db.session() as s:
            query = select(LogEvent).where(LogEvent.kind.startswith(prefix)).order_by(LogEvent.id)
            return list(s.scalars(query))


def chat(db: Database, *, queue: JobQueue | None = None, **env: Any) -> Chat:
    """Services on a RecordingSender; travel and finance channels known; two operators."""
    sender = RecordingSender()
    env.setdefault("PARALLELOS_OPERATORS", f"slack:{OPERATOR},slack:{OTHER_OPERATOR}")
    env.setdefault("PARALLELOS_USERS", f"slack:{OPERATOR},slack:{OTHER_OPERATOR},slack:{MEMBER}")
    svc = make_services(db, queue=queue, senders={Platform.SLACK: sender}, **env)
    for domain, channel in (("travel", TRAVEL), ("finance", FINANCE)):
        sender.channels[domain] = channel
        svc.directory.remember(Platform.SLACK, domain, channel, None, f"pos-{domain}")
    return Chat(db, svc, sender)


def buttons(post: Post) -> list[str]:
    return [f"{b.action}:{b.value}" for b in post.buttons]
