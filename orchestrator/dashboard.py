"""The dashboard's data: board, status docs, event log, and sections other features register.

Each section is a function of a session returning JSON-ready data; inbox, approvals and briefs
add theirs to `SECTIONS`, so the web page stays one generic renderer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains import store
from domains.board import build_board
from domains.status_doc import StatusDoc
from orchestrator.db import utcnow
from orchestrator.export import event_json
from orchestrator.models import EventStatus, InboundEventRow, LogEvent

Section = Callable[[Session], Any]
SECTIONS: dict[str, Section] = {}
RECENT_EVENTS = 50
FAILED_SHOWN = 20


def dashboard(session: Session, charters) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    names = charters.names()
    docs = store.load_all(session)
    titles = {n: charters.get(n).title for n in names}
    rows = build_board(
        docs,
        titles,
        now=utcnow(),
        stale_after_days={n: charters.get(n).status_doc.stale_after_days for n in names},
    )
    data: dict[str, Any] = {
        "board": [r.model_dump(mode="json") for r in rows],
        "status": {n: (docs.get(n) or StatusDoc(domain=n)).model_dump(mode="json") for n in names},
        "events": recent_events(session),
        "failed events": failed_events(session),
    }
    for name, section in SECTIONS.items():
        data[name] = section(session)
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
