"""Durable-first ingestion: store inbound events, unique on the platform's id (DESIGN rule 1)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from orchestrator import metrics
from orchestrator.canonical import EventKind, InboundEvent, Platform, Target
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


_EVENT_ID, _THREAD, _SUBJECT = (
    _size(InboundEventRow.external_id), _size(OutboxRow.sent_thread), _size(LogEvent.subject)
)  # fmt: skip
_ACTOR, _CHANNEL_KEY = _size(LogEvent.actor), _size(OutboxRow.channel_key)


@cache
def _prefix(platform: Platform) -> int:
    """Characters a channel key adds to a channel id on `platform`."""
    return len(Target(platform=platform, channel="").channel_key())


def _bounded(event: InboundEvent) -> list[tuple[str, str | None, int]]:
    """(field, value, most characters) for each identifier of the event that lands in a bounded
    column, here or later in `process_event`; the sizes are read off the models (once)."""
    click = f"{event.action_id}:{event.action_value}" if event.kind is EventKind.ACTION else None
    return [
        ("event id", event.external_id, _EVENT_ID),
        ("user id", event.user, _ACTOR - len(event.platform.value) - 1),
        ("channel", event.channel, _CHANNEL_KEY - _prefix(event.platform)),
        ("thread", event.thread, _THREAD),
        ("message id", event.message_ref, _THREAD),
        ("callback", event.action_callback_ref, _THREAD),
        ("button", click, _SUBJECT),  # the log's subject of a click
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
    batch — is dropped by the unique index without failing the others. The rows go as
    parameters of one cached single-row statement (SQLAlchemy's "insertmanyvalues" sends them
    as one multi-row INSERT): a statement with the values inlined would be compiled anew for
    every batch, which was the largest part of the edge writer's CPU.
    """
    if not events:
        return []
    keys = [(e.platform.value, e.external_id) for e in events]
    first = {key: i for i, key in reversed(list(enumerate(keys)))}
    now = utcnow()
    rows = [_values(events[i], now) for i in sorted(first.values())]
    with db.engine.begin() as conn:
        stored = {(p, x): i for i, p, x in conn.execute(_insert(db.engine.dialect.name), rows)}
    ids = [stored.get(key) if first[key] == n else None for n, key in enumerate(keys)]
    _count(events, ids)
    return ids


@cache
def _insert(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(InboundEventRow)
        .on_conflict_do_nothing(index_elements=["platform", "external_id"])
        .returning(InboundEventRow.id, InboundEventRow.platform, InboundEventRow.external_id)
    )


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
