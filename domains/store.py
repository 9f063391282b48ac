"""Loading and saving status docs; every change is also an event in the log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domains.models import StatusDocRow
from domains.status_doc import Change, StatusDoc
from orchestrator.db import utcnow
from orchestrator.eventlog import record


def load_doc(session: Session, domain: str, *, for_update: bool = False) -> StatusDoc:
    """The domain's doc (an empty one if it has none yet); `for_update` locks its row."""
    row = _row(session, domain, for_update=for_update)
    return StatusDoc.model_validate(row.doc) if row.doc else StatusDoc(domain=domain)


def load_all(session: Session) -> dict[str, StatusDoc]:
    rows = session.scalars(select(StatusDocRow)).all()
    return {r.domain: StatusDoc.model_validate(r.doc) for r in rows if r.doc}


def save_doc(
    session: Session,
    doc: StatusDoc,
    changes: Sequence[Change],
    *,
    actor: str,
    source_event_id: int | None,
    charter_version: str | None,
) -> None:
    """Store the new doc and log one `status.changed` event per change (old → new)."""
    row = _row(session, doc.domain, for_update=True)
    row.doc = doc.model_dump(mode="json")
    row.version += 1
    row.updated_at = utcnow()
    for change in changes:
        record(
            session,
            kind="status.changed",
            actor=actor,
            domain=doc.domain,
            subject=change.field,
            charter_version=charter_version,
            data={"old": change.old, "new": change.new, "summary": change.summary},
            source_event_id=source_event_id,
        )


def _row(session: Session, domain: str, *, for_update: bool) -> StatusDocRow:
    query = select(StatusDocRow).where(StatusDocRow.domain == domain)
    if for_update:
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(StatusDocRow(domain=domain, doc={}, version=0))
    except IntegrityError:
        pass  # created concurrently; read theirs
    return session.scalars(query).one()
