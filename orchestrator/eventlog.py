"""The append-only event log: one call records one change of state (DESIGN rule 4)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from orchestrator.models import LogEvent


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
) -> LogEvent:
    """Add an event to the log in the caller's transaction (it commits with the change)."""
    row = LogEvent(
        kind=kind,
        actor=actor,
        domain=domain,
        subject=subject,
        data=data or {},
        charter_version=charter_version,
        cost_usd=cost_usd,
        source_event_id=source_event_id,
    )
    session.add(row)
    return row
