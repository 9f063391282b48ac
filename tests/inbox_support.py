"""The core dialogue for inbox and approval tests: travel and finance channels, two operators,
a member, and the rows to read (RecordingSender, no HTTP)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from domains.approvals.models import ApprovalRow
from domains.inbox.models import InboxEntryRow
from orchestrator.canonical import Platform, Post
from orchestrator.db import Database
from orchestrator.jobqueue import JobQueue
from orchestrator.models import LogEvent
from orchestrator.services import Services
from tests.dialogue import CoreDialogue
from tests.helpers import make_services
from tests.recording_sender import RecordingSender

OPERATOR, OTHER_OPERATOR, MEMBER = "U1", "U3", "U2"  # MEMBER may talk, may not decide
TRAVEL, FINANCE = "CPOS-TRAVEL", "CPOS-FINANCE"


@dataclass(kw_only=True)
class Chat(CoreDialogue):
    """The core dialogue, with the inbox's and approvals' rows to read."""

    svc: Services
    user: str = OPERATOR
    channel: str = TRAVEL
    cards: str = FINANCE

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
    return Chat(db=db, svc=svc, sender=sender)


def buttons(post: Post) -> list[str]:
    return [f"{b.action}:{b.value}" for b in post.buttons]
