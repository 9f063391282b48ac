"""Durable-first ingestion: store inbound events, unique on the platform's id (DESIGN rule 1)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from orchestrator.canonical import InboundEvent
from orchestrator.db import Database, utcnow
from orchestrator.models import InboundEventRow
from orchestrator.statuses import EventStatus

log = logging.getLogger(__name__)


def store_events(db: Database, events: Sequence[InboundEvent]) -> list[int | None]:
    """Store each event once; return its new row id, or None where it was a duplicate.

    One statement for the batch (group commit at the edge): `INSERT … ON CONFLICT DO NOTHING
    RETURNING`, so a duplicate — already stored, arriving concurrently, or repeated inside the
    batch — is dropped by the unique index without failing the others.
    """
    if not events:
        return []
    keys = [(e.platform.value, e.external_id) for e in events]
    first = {key: i for i, key in reversed(list(enumerate(keys)))}
    now = utcnow()
    rows = [_values(events[i], now) for i in sorted(first.values())]
    table = InboundEventRow.__table__
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["platform", "external_id"])
        .returning(table.c.id, table.c.platform, table.c.external_id)
    )
    with db.engine.begin() as conn:
        stored = {(p, x): i for i, p, x in conn.execute(statement)}
    return [stored.get(key) if first[key] == n else None for n, key in enumerate(keys)]


def _values(event: InboundEvent, now: datetime) -> dict[str, object]:
    return {
        "platform": event.platform.value,
        "external_id": event.external_id,
        "kind": event.kind.value,
        "payload": event.model_dump(mode="json"),
        "status": EventStatus.RECEIVED.value,
        "attempts": 0,
        "created_at": now,
    }


def load_event(row: InboundEventRow) -> InboundEvent:
    return InboundEvent.model_validate(row.payload)
