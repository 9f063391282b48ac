"""The dashboard's data: the event log, events that failed for good, and every feature's views.

Each view is a function of a session returning JSON-ready data; the features (status docs,
inbox, approvals, briefs, agents) bring theirs in `orchestrator.features`, so the web page
stays one generic renderer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orchestrator.export import event_json
from orchestrator.features import Features
from orchestrator.models import InboundEventRow, LogEvent
from orchestrator.statuses import EventStatus

__all__ = [
    "EventQuery",
    "change_mark",
    "dashboard",
    "event_kinds",
    "event_log",
    "failed_events",
    "recent_events",
    "views",
]

RECENT_EVENTS = 50
FAILED_SHOWN = 20


def dashboard(session: Session, features: Features) -> dict[str, Any]:
    data: dict[str, Any] = {name: view(session) for name, view in features.views.items()}
    data["events"] = recent_events(session)
    data["failed events"] = failed_events(session)
    return data


def views(session: Session, features: Features, names: Iterable[str]) -> dict[str, Any]:
    """Only the named feature views: what one surface shows (the Home tab reads three of
    them), without the rest of the dashboard (the event log, the charters)."""
    return {name: features.views[name](session) for name in names if name in features.views}


def recent_events(session: Session, limit: int = RECENT_EVENTS) -> list[dict[str, object]]:
    """The newest events, each with `by`: the display name of the person whose message or
    click caused it (as stored with that message), else its actor (`slack:U…`, `system`)."""
    rows = session.scalars(select(LogEvent).order_by(LogEvent.id.desc()).limit(limit)).all()
    names = _names(session, {r.source_event_id for r in rows if r.source_event_id is not None})
    return [{**event_json(r), "by": names.get(r.source_event_id or 0) or r.actor} for r in rows]


def _names(session: Session, event_ids: set[int]) -> dict[int, str]:
    if not event_ids:
        return {}
    query = select(InboundEventRow.id, InboundEventRow.payload).where(
        InboundEventRow.id.in_(event_ids)
    )
    found = {}
    for event_id, payload in session.execute(query):
        name = payload.get("user_name") if isinstance(payload, dict) else None
        if isinstance(name, str) and name:
            found[event_id] = name
    return found


def failed_events(session: Session, limit: int = FAILED_SHOWN) -> list[dict[str, object]]:
    """Events that failed for good, newest first: `parallelos reconcile --failed` re-runs them."""
    query = select(InboundEventRow).where(InboundEventRow.status == EventStatus.FAILED)
    rows = session.scalars(query.order_by(InboundEventRow.id.desc()).limit(limit)).all()
    return [
        {"event": r.id, "platform": r.platform, "attempts": r.attempts, "reason": r.error}
        for r in rows
    ]


# -- the event log view (GET /dashboard/events) -----------------------------------------------
EVENT_PAGE = 50
MAX_EVENT_PAGE = 200


@dataclass(frozen=True)
class EventQuery:
    """The event log's filters: a domain, a kind (exact, or a prefix ending in `.`: `inbox.`),
    a time window (naive UTC) and a page (events older than the id `before`)."""

    domain: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: int | None = None
    limit: int = EVENT_PAGE


def event_log(session: Session, query: EventQuery) -> tuple[list[dict[str, object]], int | None]:
    """One page of the log, newest first, and the id to pass as `before` for the next page
    (None on the last page)."""
    where: list[Any] = []
    if query.domain:
        where.append(LogEvent.domain == query.domain)
    if query.kind:
        kind = query.kind
        where.append(
            LogEvent.kind.startswith(kind) if kind.endswith(".") else LogEvent.kind == kind
        )
    if query.since is not None:
        where.append(LogEvent.at >= query.since)
    if query.until is not None:
        where.append(LogEvent.at < query.until)
    if query.before is not None:
        where.append(LogEvent.id < query.before)
    limit = max(1, min(query.limit, MAX_EVENT_PAGE))
    statement = select(LogEvent).where(*where).order_by(LogEvent.id.desc()).limit(limit + 1)
    rows = session.scalars(statement).all()
    page, more = rows[:limit], len(rows) > limit
    names = _names(session, {r.source_event_id for r in page if r.source_event_id is not None})
    shown = [{**event_json(r), "by": names.get(r.source_event_id or 0) or r.actor} for r in page]
    return shown, (page[-1].id if more and page else None)


def event_kinds(session: Session) -> list[str]:
    """Every kind the log holds, for the filter's choices."""
    return list(session.scalars(select(LogEvent.kind).distinct().order_by(LogEvent.kind)))


def change_mark(session: Session) -> str:
    """Changes when anything the dashboard shows may have changed: every state change is an
    event in the log, and an event that fails for good changes `inbound_events`."""
    last = session.scalar(select(func.max(LogEvent.id))) or 0
    failed = session.scalar(
        select(func.count())
        .select_from(InboundEventRow)
        .where(InboundEventRow.status == EventStatus.FAILED)
    )
    return f"{last}-{failed or 0}"
