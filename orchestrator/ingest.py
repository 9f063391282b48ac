"""Durable-first ingestion: store inbound events, unique on the platform's id (DESIGN rule 1)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError

from orchestrator.canonical import InboundEvent
from orchestrator.db import Database
from orchestrator.models import InboundEventRow

log = logging.getLogger(__name__)


def store_events(db: Database, events: Sequence[InboundEvent]) -> list[int | None]:
    """Store each event once; return its new row id, or None where it was a duplicate.

    One transaction for the batch (group commit at the edge). Duplicates, whether already in
    the database or repeated inside the batch, are dropped without failing the others.
    """
    if not events:
        return []
    keys = [(e.platform.value, e.external_id) for e in events]
    with db.session() as s:
        existing = set(
            s.execute(
                select(InboundEventRow.platform, InboundEventRow.external_id).where(
                    tuple_(InboundEventRow.platform, InboundEventRow.external_id).in_(set(keys))
                )
            ).all()
        )
        rows: list[InboundEventRow | None] = []
        for event, key in zip(events, keys, strict=True):
            if key in existing:
                rows.append(None)
                continue
            existing.add(key)
            row = _row(event)
            s.add(row)
            rows.append(row)
        try:
            s.flush()
        except IntegrityError:
            # A concurrent delivery of the same id won the race: fall back to one at a time.
            s.rollback()
            return [_store_one(db, e) for e in events]
    return [r.id if r is not None else None for r in rows]


def _store_one(db: Database, event: InboundEvent) -> int | None:
    try:
        with db.session() as s:
            row = _row(event)
            s.add(row)
            s.flush()
            return row.id
    except IntegrityError:
        return None


def _row(event: InboundEvent) -> InboundEventRow:
    return InboundEventRow(
        platform=event.platform.value,
        external_id=event.external_id,
        kind=event.kind.value,
        payload=event.model_dump(mode="json"),
    )


def load_event(row: InboundEventRow) -> InboundEvent:
    return InboundEvent.model_validate(row.payload)
