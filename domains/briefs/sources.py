"""What a brief reads besides status docs: the event log, the inbox, approvals, past runs.

A narrow query interface, so the composer never knows table layouts: each function returns
plain records and, for lists a brief summarises, the total count (`Page`). Lists come sorted
the way a brief shows them and are capped by `limit` in the database, not in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from domains.approvals.cards import approval_card
from domains.approvals.models import ApprovalRow
from domains.briefs.models import BriefRunRow, BriefTrigger
from domains.inbox.models import InboxEntryRow
from domains.reminders.models import ReminderRow
from domains.reminders.service import OVERDUE_AFTER
from domains.reminders.service import UNFINISHED as OPEN_REMINDERS
from orchestrator.canonical import Post
from orchestrator.models import LogEvent
from orchestrator.statuses import ApprovalStatus, BriefRunStatus, InboxStatus, ReminderStatus

T = TypeVar("T")
DECISION_FIELD = "decision"  # status.changed events whose subject is the latest decision
UNFINISHED = (InboxStatus.OPEN.value, InboxStatus.ACCEPTED.value)  # as `inbox` lists them


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.items))


@dataclass(frozen=True)
class Decision:
    at: datetime
    domain: str
    text: str
    actor: str


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    domain: str
    summary: str


@dataclass(frozen=True)
class InboxItem:
    id: int
    created_at: datetime
    from_domain: str
    to_domain: str
    priority: str  # high | normal | low
    title: str
    status: str


_INBOX_COLUMNS = (
    InboxEntryRow.id,
    InboxEntryRow.created_at,
    InboxEntryRow.from_domain,
    InboxEntryRow.to_domain,
    InboxEntryRow.priority,
    InboxEntryRow.title,
    InboxEntryRow.status,
)


@dataclass(frozen=True)
class PendingApproval:
    ref: str  # the approval's public id, as its card and the `approvals` command show it
    domain: str
    text: str
    created_at: datetime
    expires_at: datetime | None = None
    card: Post | None = None  # the approval's own card, Approve and Reject buttons included


@dataclass(frozen=True)
class FollowUp:
    id: int
    domain: str
    text: str
    due_at: datetime  # naive UTC
    status: str  # open | posted | snoozed


_FOLLOW_UP_COLUMNS = (
    ReminderRow.id,
    ReminderRow.domain,
    ReminderRow.text,
    ReminderRow.due_at,
    ReminderRow.status,
)


def open_follow_ups(
    session: Session, *, domain: str | None = None, limit: int = 10
) -> Page[FollowUp]:
    """Unfinished reminders (of `domain` if given), soonest due first."""
    where: list[ColumnElement[bool]] = [ReminderRow.status.in_([s.value for s in OPEN_REMINDERS])]
    if domain is not None:
        where.append(ReminderRow.domain == domain)
    return _follow_ups(session, where, limit)


def overdue_follow_ups(
    session: Session, *, now: datetime, domain: str | None = None, limit: int = 10
) -> Page[FollowUp]:
    """Reminders still unanswered a day (`OVERDUE_AFTER`) after they were due, oldest first."""
    unanswered = [ReminderStatus.OPEN.value, ReminderStatus.POSTED.value]
    where = [ReminderRow.status.in_(unanswered), ReminderRow.due_at <= now - OVERDUE_AFTER]
    if domain is not None:
        where.append(ReminderRow.domain == domain)
    return _follow_ups(session, where, limit)


def _follow_ups(session: Session, where: list[Any], limit: int) -> Page[FollowUp]:
    rows = session.execute(
        select(*_FOLLOW_UP_COLUMNS)
        .where(*where)
        .order_by(ReminderRow.due_at, ReminderRow.id)
        .limit(limit)
    ).all()
    total = session.scalar(select(func.count()).select_from(ReminderRow).where(*where)) or 0
    return Page([FollowUp(*row) for row in rows], total)


def decisions_since(
    session: Session, since: datetime, *, domain: str | None = None, limit: int = 15
) -> Page[Decision]:
    """Decisions recorded after `since`, newest first."""
    where = [
        LogEvent.kind == "status.changed",
        LogEvent.subject == DECISION_FIELD,
        LogEvent.at > since,
    ]
    if domain is not None:
        where.append(LogEvent.domain == domain)
    rows = session.scalars(
        select(LogEvent).where(*where).order_by(LogEvent.at.desc(), LogEvent.id.desc()).limit(limit)
    ).all()
    total = session.scalar(select(func.count()).select_from(LogEvent).where(*where)) or 0
    items = [Decision(r.at, r.domain or "", str(r.data.get("new", "")), r.actor) for r in rows]
    return Page(items, total)


def changes_since(
    session: Session, since: datetime, *, domain: str | None = None, limit: int = 20
) -> Page[StatusChange]:
    """Status-doc changes after `since`, newest first (the daily report's "what changed")."""
    where = [LogEvent.kind == "status.changed", LogEvent.at > since]
    if domain is not None:
        where.append(LogEvent.domain == domain)
    rows = session.scalars(
        select(LogEvent).where(*where).order_by(LogEvent.at.desc(), LogEvent.id.desc()).limit(limit)
    ).all()
    total = session.scalar(select(func.count()).select_from(LogEvent).where(*where)) or 0
    items = [StatusChange(r.at, r.domain or "", str(r.data.get("summary", ""))) for r in rows]
    return Page(items, total)


def open_inbox(session: Session, *, domain: str | None = None, limit: int = 10) -> Page[InboxItem]:
    """Unfinished inbox entries (to `domain` if given): high priority first, then oldest."""
    where: list[ColumnElement[bool]] = [InboxEntryRow.status.in_(UNFINISHED)]
    if domain is not None:
        where.append(InboxEntryRow.to_domain == domain)
    rank = case({"high": 0, "normal": 1}, value=InboxEntryRow.priority, else_=2)
    rows = session.execute(
        select(*_INBOX_COLUMNS)
        .where(*where)
        .order_by(rank, InboxEntryRow.created_at, InboxEntryRow.id)
        .limit(limit)
    ).all()
    total = session.scalar(select(func.count()).select_from(InboxEntryRow).where(*where)) or 0
    return Page([InboxItem(*row) for row in rows], total)


def pending_approvals(
    session: Session, *, now: datetime, domain: str | None = None, limit: int = 5
) -> Page[PendingApproval]:
    """Pending, unexpired approvals (of `domain` if given), oldest first, with their buttons."""
    where = [ApprovalRow.status == ApprovalStatus.PENDING.value, ApprovalRow.expires_at > now]
    if domain is not None:
        where.append(ApprovalRow.domain == domain)
    rows = session.scalars(
        select(ApprovalRow)
        .where(*where)
        .order_by(ApprovalRow.created_at, ApprovalRow.id)
        .limit(limit)
    ).all()
    total = session.scalar(select(func.count()).select_from(ApprovalRow).where(*where)) or 0
    items = [
        PendingApproval(
            ref=r.public_id,
            domain=r.domain,
            text=r.action,
            created_at=r.created_at,
            expires_at=r.expires_at,
            card=approval_card(r),
        )
        for r in rows
    ]
    return Page(items, total)


def link_cards(session: Session, cards: dict[str, list[int]]) -> None:
    """Make the brief's copies of approval cards part of each approval's cards, so a decision
    (from any copy) edits them all and their buttons go away."""
    if not cards:
        return
    rows = session.scalars(
        select(ApprovalRow).where(ApprovalRow.public_id.in_(list(cards))).with_for_update()
    ).all()
    for row in rows:
        row.card_posts = [*row.card_posts, *cards[row.public_id]]


def last_posted_run(session: Session, brief: str) -> BriefRunRow | None:
    """The brief's latest run that reached the platforms (scheduled or on demand)."""
    return session.scalars(
        select(BriefRunRow)
        .where(
            BriefRunRow.brief == brief,
            BriefRunRow.status.in_([BriefRunStatus.POSTED.value, BriefRunStatus.LATE.value]),
        )
        .order_by(BriefRunRow.started_at.desc(), BriefRunRow.id.desc())
        .limit(1)
    ).first()


def failed_runs_since(session: Session, since: datetime) -> list[BriefRunRow]:
    """Runs of any brief that ended failed after `since` (the daily report lists them)."""
    return list(
        session.scalars(
            select(BriefRunRow)
            .where(
                BriefRunRow.status == BriefRunStatus.FAILED.value,
                BriefRunRow.started_at > since,
            )
            .order_by(BriefRunRow.started_at)
            .limit(10)
        ).all()
    )


def last_scheduled_run(session: Session, brief: str) -> BriefRunRow | None:
    """The brief's scheduled run with the latest due time, whatever its status."""
    return session.scalars(
        select(BriefRunRow)
        .where(BriefRunRow.brief == brief, BriefRunRow.trigger == BriefTrigger.SCHEDULED.value)
        .order_by(BriefRunRow.due_at.desc(), BriefRunRow.id.desc())
        .limit(1)
    ).first()
