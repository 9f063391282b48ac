"""The dashboard's data: the event log, events that failed for good, and every feature's views.

Each view is a function of a session returning JSON-ready data; the features (status docs,
inbox, approvals, briefs, agents) bring theirs in `orchestrator.features`, so the web page
stays one generic renderer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.export import event_json
from orchestrator.features import Features
from orchestrator.models import InboundEventRow, LogEvent
from orchestrator.statuses import EventStatus

__all__ = ["dashboard", "failed_events", "recent_events", "views"]

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
