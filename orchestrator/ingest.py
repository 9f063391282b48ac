"""Durable-first ingestion: store inbound events, unique on the platform's id (DESIGN rule 1)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from orchestrator import metrics
from orchestrator.canonical import EventKind, InboundEvent, Target
from orchestrator.db import Database, utcnow
from orchestrator.models import NAME_CHARS, InboundEventRow, LogEvent, OutboxRow
from orchestrator.redact import redact
from orchestrator.statuses import EventStatus

log = logging.getLogger(__name__)

BAD_ROW = (DataError, IntegrityError)  # the database refused a row's values, not the request


class Unstorable(ValueError):
    """An event the database cannot take as it is: refused at the edge (400), never retried."""


def _size(column: Any) -> int:
    return int(column.type.length)


def _bounded(event: InboundEvent) -> list[tuple[str, str | None, int]]:
    """(field, value, most characters) for each identifier of the event that lands in a bounded
    column, here or later in `process_event`; the sizes are read off the models."""
    thread = _size(OutboxRow.sent_thread)  # answers are threaded under these
    prefix = len(Target(platform=event.platform, channel="").channel_key())
    click = f"{event.action_id}:{event.action_value}" if event.kind is EventKind.ACTION else None
    return [
        ("event id", event.external_id, _size(InboundEventRow.external_id)),
        ("user id", event.user, _size(LogEvent.actor) - len(event.platform.value) - 1),
        ("channel", event.channel, _size(OutboxRow.channel_key) - prefix),
        ("thread", event.thread, thread),
        ("message id", event.message_ref, thread),
        ("callback", event.action_callback_ref, thread),
        ("button", click, _size(LogEvent.subject)),  # the log's subject of a click
    ]


def fit(event: InboundEvent) -> InboundEvent:
    """The event as the database can keep it: `Unstorable` naming the first identifier longer
    than its column; a display name longer than its column is shortened (it identifies
    nothing, and Telegram's first and last names together may exceed it)."""
    for field, value, most in _bounded(event):
        if value is not None and len(value) > most:
            raise Unstorable(f"{field} too long: {len(value)} characters, at most {most}")
    return fit_name(event)


def fit_name(event: InboundEvent) -> InboundEvent:
    """A display name longer than its column, shortened."""
    most = NAME_CHARS
    if event.user_name is not None and len(event.user_name) > most:
        return event.model_copy(update={"user_name": event.user_name[:most]})
    return event


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
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(InboundEventRow)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["platform", "external_id"])
        .returning(InboundEventRow.id, InboundEventRow.platform, InboundEventRow.external_id)
    )
    with db.engine.begin() as conn:
        stored = {(p, x): i for i, p, x in conn.execute(statement)}
    ids = [stored.get(key) if first[key] == n else None for n, key in enumerate(keys)]
    _count(events, ids)
    return ids


def _count(events: Sequence[InboundEvent], ids: Sequence[int | None]) -> None:
    for event, event_id in zip(events, ids, strict=True):
        if event_id is None:
            metrics.DUPLICATES.labels(event.platform.value).inc()
        else:
            metrics.EVENTS_IN.labels(event.platform.value, event.kind.value).inc()


def stored_payload(event: InboundEvent) -> dict[str, Any]:
    """The `payload` column of an event: its secrets redacted, its display name fitted."""
    return _redacted(fit_name(event)).model_dump(mode="json")


def _values(event: InboundEvent, now: datetime) -> dict[str, object]:
    return {
        "platform": event.platform.value,
        "external_id": event.external_id,
        "kind": event.kind.value,
        "payload": stored_payload(event),
        "status": EventStatus.RECEIVED.value,
        "attempts": 0,
        "created_at": now,
    }


def _redacted(event: InboundEvent) -> InboundEvent:
    """The event as stored: secrets out of its text before anything keeps it (redact.py)."""
    clean = redact(event.text)
    return event if clean == event.text else event.model_copy(update={"text": clean})


def load_event(row: InboundEventRow) -> InboundEvent:
    return InboundEvent.model_validate(row.payload)


def stored_event(session: Session, event_id: int) -> InboundEvent:
    """The stored event `event_id` (it must exist: callers hold its id from the database)."""
    row = session.get(InboundEventRow, event_id)
    if row is None:
        raise LookupError(f"event {event_id} is not stored")
    return load_event(row)
