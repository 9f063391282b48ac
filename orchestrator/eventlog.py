"""The append-only event log: one call records one change of state (DESIGN rule 4)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from orchestrator.charters import HUB
from orchestrator.db import utcnow
from orchestrator.models import LogEvent

CHARTERS_KEY = "charters"  # `session.info` key of the process's LiveCharters (wiring sets it)
_HUB_KINDS = ("brief.", "route.")  # events with no domain that ran under the whole set
_INSERT = insert(LogEvent)  # built once (Core on a connection): every state change writes one


def record(
    session: Session,
    *,
    kind: str,
    actor: str,
    domain: str | None = None,
    subject: str | None = None,
    data: dict[str, Any] | None = None,
    charter_version: str | None = None,
    cost_usd: float | None = None,
    source_event_id: int | None = None,
) -> None:
    """Add an event to the log in the caller's transaction (it commits with the change): one
    INSERT at once, on the session's connection (no ORM unit of work).

    Without an explicit `charter_version`, the event names the active version of its domain
    (the hub's for briefs and unplaced routes), read from the process's live charters."""
    if charter_version is None:
        charter_version = _active_version(session, domain, kind)
    session.connection().execute(
        _INSERT,
        {"at": utcnow(), "kind": kind, "actor": actor, "domain": domain, "subject": subject,
         "data": data or {}, "charter_version": charter_version, "cost_usd": cost_usd,
         "source_event_id": source_event_id},
    )  # fmt: skip


def _active_version(session: Session, domain: str | None, kind: str) -> str | None:
    live = session.info.get(CHARTERS_KEY)
    if live is None:
        return None
    if domain is None:
        return live.charters.revision(HUB) if kind.startswith(_HUB_KINDS) else None
    return live.charters.revision(domain)
