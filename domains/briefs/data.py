"""Everything one brief shows, read from the database in a handful of bounded queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from domains import store
from domains.board import BoardRow, build_board
from domains.briefs import sources
from domains.briefs.sources import (
    Decision,
    FollowUp,
    InboxItem,
    Page,
    PendingApproval,
    StatusChange,
)
from domains.status_doc import StatusDoc
from orchestrator.charters import HUB, BriefSpec, CharterSet

LIST_LIMIT = 10  # inbox entries, decisions and changes listed before "…and n more"
CARD_LIMIT = 5  # pending approvals shown as cards with their buttons
COLOR_ORDER = {"red": 0, "yellow": 1, "green": 2}


@dataclass(frozen=True)
class BriefRequest:
    """Which brief, for when: `since` bounds "since the last brief" lists."""

    spec: BriefSpec
    now: datetime  # naive UTC
    since: datetime  # naive UTC
    zone: ZoneInfo
    period: str
    note: str | None = None  # e.g. why it is late


@dataclass
class BriefData:
    request: BriefRequest
    rows: list[BoardRow]
    docs: dict[str, StatusDoc]
    decisions: Page[Decision]
    changes: Page[StatusChange]
    inbox: Page[InboxItem]
    approvals: Page[PendingApproval]
    failed: list[tuple[str, str, str | None]] = field(default_factory=list)
    follow_ups: Page[FollowUp] = field(default_factory=lambda: Page([], 0))  # open ones
    overdue: Page[FollowUp] = field(default_factory=lambda: Page([], 0))  # a day past due

    @property
    def scope(self) -> str | None:
        """The domain a domain-scoped brief is about (None: every domain)."""
        owner = self.request.spec.owner
        return None if owner == HUB else owner

    def local(self, at: datetime) -> datetime:
        return at.replace(tzinfo=ZoneInfo("UTC")).astimezone(self.request.zone)


def gather(session: Session, charters: CharterSet, request: BriefRequest) -> BriefData:
    """Read the docs, board, log, inbox and approvals the brief needs."""
    spec = request.spec
    scope = None if spec.owner == HUB else spec.owner
    docs = store.load_all(session)
    rows = _rows(charters, docs, request.now, scope)
    changes = Page[StatusChange]([], 0)
    failed: list[tuple[str, str, str | None]] = []
    if spec.name in ("daily", "friday") or scope is not None:
        changes = sources.changes_since(session, request.since, domain=scope, limit=LIST_LIMIT)
    if spec.name == "daily":
        day_ago = request.now - timedelta(days=1)
        failed = [(r.brief, r.period, r.note) for r in sources.failed_runs_since(session, day_ago)]
    return BriefData(
        request=request,
        rows=rows,
        docs=docs,
        decisions=sources.decisions_since(session, request.since, domain=scope, limit=LIST_LIMIT),
        changes=changes,
        inbox=sources.open_inbox(session, domain=scope, limit=LIST_LIMIT),
        approvals=sources.pending_approvals(
            session, now=request.now, domain=scope, limit=CARD_LIMIT
        ),
        failed=failed,
        follow_ups=sources.open_follow_ups(session, domain=scope, limit=LIST_LIMIT),
        overdue=sources.overdue_follow_ups(
            session, now=request.now, domain=scope, limit=LIST_LIMIT
        ),
    )


def _rows(
    charters: CharterSet, docs: dict[str, StatusDoc], now: datetime, scope: str | None
) -> list[BoardRow]:
    names = [scope] if scope is not None else charters.names()
    rows = build_board(
        {n: docs.get(n) for n in names},
        {n: charters.get(n).title for n in names},
        now=now,
        stale_after_days={n: charters.get(n).status_doc.stale_after_days for n in names},
    )
    return sorted(rows, key=lambda r: (COLOR_ORDER.get(r.headline_color or "", 3), r.domain))
