"""The dashboard's data: the event log, events that failed for good, and every feature's views.

Each view is a function of a session returning JSON-ready data; the features (status docs,
inbox, approvals, briefs, agents) bring theirs in `orchestrator.features`, so the web page
stays one generic renderer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.export import event_json
from orchestrator.features import Features
from orchestrator.models import InboundEventRow, LogEvent
from orchestrator.statuses import EventStatus

__all__ = ["dashboard", "failed_events", "recent_events"]

RECENT_EVENTS = 50
FAILED_SHOWN = 20


def dashboard(session: Session, features: Features) -> dict[str, Any]:
    data: dict[str, Any] = {name: view(session) for name, view in features.views.items()}
    data["events"] = recent_events(session)
    data["failed events"] = failed_events(session)
    return data


def recent_events(session: Session, limit: int = RECENT_EVENTS) -> list[dict[str, object]]:
    rows = session.scalars(select(LogEvent).order_by(LogEvent.id.desc()).limit(limit)).all()
    return [event_json(r) for r in rows]


def failed_events(session: Session, limit: int = FAILED_SHOWN) -> list[dict[str, object]]:
    """Events that failed for good, newest first: `parallelos reconcile --failed` re-runs them."""
    query = select(InboundEventRow).where(InboundEventRow.status == EventStatus.FAILED)
    rows = session.scalars(query.order_by(InboundEventRow.id.desc()).limit(limit)).all()
    return [
        {"event": r.id, "platform": r.platform, "attempts": r.attempts, "reason": r.error}
        for r in rows
    ]
