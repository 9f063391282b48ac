"""The outbox: posts are rows first, delivered later, in order per channel, never twice.

A delivery worker claims the head of a channel's queue (the lowest row not yet final) with a
lease. Only one row per channel is ever `sending`, so order holds across workers. A row whose
lease expired was being sent by a worker that died: its outcome is uncertain, and the sender
is asked whether the platform already has it before anything is sent again.

A claim names its worker (`host:pid:token`). A worker on this machine whose process is gone
has certainly stopped sending, so its claim is taken over at once rather than after the lease:
a topic stalled behind a crashed worker resumes within seconds. A claim from another machine
still waits for its lease.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, Table, Update, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from orchestrator import statuses
from orchestrator.canonical import Post, SentRef, Target, dump
from orchestrator.db import Database, utcnow
from orchestrator.models import OutboxRow
from orchestrator.statuses import OutboxStatus

LEASE = timedelta(seconds=60)
_Head = Row[int, str, str, datetime | None, datetime, str | None]  # what a claim reads of a row
PostRow = Row[Any]  # a claimed post: every column of its outbox row, read by attribute
ACTIVE = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
HOST = socket.gethostname()[:20]

# The hot path's statements, built once (Core, on a plain connection: no ORM unit of work, no
# statement built or cache key computed per call). Every status move is still `guarded`'s.
_T: Table = OutboxRow.__table__  # type: ignore[assignment]
_ROW = tuple(_T.c)
_HEAD_COLUMNS = ("id", "channel_key", "status", "lease_until", "next_attempt_at", "claim")
_INSERT = insert(_T).returning(_T.c.id)
_HEADS_ONE = (
    select(*(_T.c[name] for name in _HEAD_COLUMNS))
    .where(_T.c.channel_key == bindparam("b_key"), _T.c.status.in_(ACTIVE))
    .order_by(_T.c.id)
    .limit(bindparam("b_limit"))
)
_RANKED = (
    select(
        *(_T.c[name] for name in _HEAD_COLUMNS),
        func.row_number().over(partition_by=_T.c.channel_key, order_by=_T.c.id).label("n"),
    )
    .where(_T.c.channel_key.in_(bindparam("b_keys", expanding=True)), _T.c.status.in_(ACTIVE))
    .subquery()
)
_HEADS_MANY = (  # the first `limit` active rows of each of several channels, in one read
    select(*(_RANKED.c[name] for name in _HEAD_COLUMNS))
    .where(_RANKED.c.n <= bindparam("b_limit"))
    .order_by(_RANKED.c.channel_key, _RANKED.c.id)
)
_CLAIM_RUN = statuses.guarded(
    OutboxRow.status,
    OutboxStatus.SENDING,
    OutboxRow.id.in_(bindparam("b_ids", expanding=True)),
    OutboxRow.claim.is_(None),
    old=OutboxStatus.PENDING,
    claim=bindparam("b_token"),
    lease_until=bindparam("b_lease"),
    attempts=OutboxRow.attempts + 1,
).returning(*_ROW)
_RELEASE = statuses.guarded(
    OutboxRow.status,
    OutboxStatus.PENDING,
    OutboxRow.id.in_(bindparam("b_ids", expanding=True)),
    OutboxRow.claim == bindparam("b_token"),
    old=OutboxStatus.SENDING,
    claim=None,
    lease_until=None,
    attempts=OutboxRow.attempts - 1,
)
# One executemany (psycopg pipelines it); `guarded`'s IN list cannot be used with that, so
# the move it checks (sending -> sent) is spelled out.
_MARK_SENT = (
    update(_T)
    .where(
        _T.c.id == bindparam("b_id"),
        _T.c.claim == bindparam("b_claim"),
        _T.c.status == OutboxStatus.SENDING.value,
    )
    .values(
        status=OutboxStatus.SENT.value,
        sent_channel=bindparam("b_channel"),
        sent_message_id=bindparam("b_message"),
        sent_thread=bindparam("b_thread"),
        sent_at=bindparam("b_at"),
        lease_until=None,
    )
)
_SENT_REF = select(_T.c.status, _T.c.sent_channel, _T.c.sent_message_id, _T.c.sent_thread).where(
    _T.c.id == bindparam("b_id")
)


def new_claim() -> str:
    """`host:pid:token`: whose claim it is, so a dead worker's can be recognised."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex}"


def holder_died(claim: str | None) -> bool:
    """The claim was made by a process on this machine that no longer runs."""
    host, _, rest = (claim or "").partition(":")
    pid = rest.partition(":")[0]
    if host != HOST or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user
        return False
    return False


def add_post(
    session: Session,
    *,
    key: str,
    target: Target,
    post: Post,
    source_event_id: int | None = None,
    update_of: int | None = None,
    kind: str | None = None,
    channel_key: str | None = None,
    sent: SentRef | None = None,
) -> OutboxRow:
    """Queue a post (or, with `update_of`, an edit of an earlier one) in the caller's
    transaction: one INSERT ... RETURNING id. The row returned carries what was inserted; it
    is not tracked by the session (nothing written to it later is saved). With `sent`, the
    row records a message already on the platform (`add_sent`)."""
    now = utcnow()
    values: dict[str, Any] = dict(
        key=key,
        platform=target.platform.value,
        channel_key=channel_key or target.channel_key(),
        target=dump(target),
        post=dump(post),
        kind=kind or ("update" if update_of else "post"),
        update_of=update_of,
        source_event_id=source_event_id,
        status=OutboxStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    if sent is not None:
        values.update(
            status=OutboxStatus.SENT.value, sent_channel=sent.channel,
            sent_message_id=sent.message_id, sent_thread=sent.thread, sent_at=now,
        )  # fmt: skip
    row_id = session.connection().execute(_INSERT, values).scalar_one()
    return OutboxRow(id=row_id, **values)


def add_sent(
    session: Session,
    *,
    key: str,
    target: Target,
    post: Post,
    ref: SentRef,
    source_event_id: int | None = None,
) -> OutboxRow:
    """Record a message that is already on the platform (a live stream's own message), so
    later posts can edit it like any delivered post; it is never sent by the outbox. One
    INSERT of a row that is born sent."""
    return add_post(
        session, key=key, target=target, post=post, source_event_id=source_event_id,
        sent=ref,
    )  # fmt: skip


@dataclass(frozen=True)
class Claim:
    row: PostRow
    token: str
    recovering: bool  # the previous attempt died mid-send: outcome unknown


@dataclass(frozen=True)
class Busy:
    """The channel's head is not ready: another worker holds it, or it is not due yet."""

    retry_at: datetime | None  # when the head becomes due (None: another worker has it)


@dataclass(frozen=True)
class Outcome:
    """How a claimed post ended, to record with the next claim in one transaction."""

    held: Claim
    status: OutboxStatus
    values: dict[str, object]


Claimed = list[Claim] | Busy | None  # what a claim finds on one channel


def claim_head(
    db: Database, channel_key: str, *, record: Outcome | None = None
) -> Claim | Busy | None:
    """Claim the channel's next post; None when nothing is left to send.

    `record` is the previous post's outcome: written in the same transaction, so a steady
    stream of posts costs one transaction each (claim this, finish that).
    """
    with db.engine.begin() as conn:
        if record is not None:
            _apply(conn, record)
        heads = _heads(conn, [channel_key], 1).get(channel_key)
        return _claim_row(conn, heads[0], utcnow()) if heads else None


def claim_heads(
    db: Database,
    channel_key: str,
    *,
    limit: int,
    record: list[Outcome] | None = None,
    release: list[Claim] | None = None,
) -> Claimed:
    """Claim up to `limit` posts at the channel's head, in order, under one claim token.

    The head is claimed as `claim_head` does; while it is a plain first attempt, the rows
    right behind it that are pending and due are claimed with it in one statement, so a
    channel's stream costs one transaction a batch, not one a post. Recovery (a head whose
    sender died) is never batched: each such post is checked on its own.

    In the same transaction: `record` (outcomes of the previous batch; the posts that were
    sent are marked in one statement) and `release` (claimed posts that were never sent,
    given back without using an attempt).
    """
    keys = [channel_key] if limit > 0 else []
    found = claim_channels(db, {k: limit for k in keys}, record=record, release=release)
    return found.get(channel_key)


def claim_channels(
    db: Database,
    limits: dict[str, int],
    *,
    record: list[Outcome] | None = None,
    release: list[Claim] | None = None,
) -> dict[str, Claimed]:
    """`claim_heads` for several channels at once (an event's DM thread and its domain's
    channel): one transaction, one read of their heads and one claim of their runs, each
    channel's order kept on its own. With no channels, only the writing."""
    with db.engine.begin() as conn:
        _record_all(conn, record or [])
        _release(conn, release or [])
        wanted = {k: n for k, n in limits.items() if n > 0}
        if not wanted:
            return {}
        return _claim_runs(conn, wanted)


def _claim_runs(conn: Connection, limits: dict[str, int]) -> dict[str, Claimed]:
    """Each channel's head and the unbroken run of pending, due rows behind it: one read and
    one update for all of them (a head in flight, in doubt or not due is seen on its own)."""
    now = utcnow()
    heads = _heads(conn, list(limits), max(limits.values()))
    found: dict[str, Claimed] = {}
    runs: dict[str, list[int]] = {}
    for key in limits:
        rows = heads.get(key, [])[: limits[key]]
        if not rows:
            found[key] = None
            continue
        ids: list[int] = []
        for r in rows:  # only an unbroken run: nothing may overtake a row that must wait
            if r.status != OutboxStatus.PENDING or r.next_attempt_at > now or r.claim is not None:
                break
            ids.append(r.id)
        if ids:
            runs[key] = ids
        else:  # the head is in flight, in doubt or not due: claimed on its own, or busy
            head = _claim_row(conn, rows[0], now)
            found[key] = [head] if isinstance(head, Claim) else head
    if not runs:
        return found
    token = new_claim()
    claimed = conn.execute(
        _CLAIM_RUN,
        {"b_ids": [i for ids in runs.values() for i in ids], "b_token": token,
         "b_lease": now + LEASE},
    ).all()  # fmt: skip
    by_id = {row.id: row for row in claimed}
    for key, ids in runs.items():
        run: list[Claim] = []
        for row_id in ids:
            if row_id not in by_id:
                break
            run.append(Claim(row=by_id.pop(row_id), token=token, recovering=False))
        found[key] = run or Busy(retry_at=None)  # another worker claimed the head first
    _release(conn, [Claim(row=row, token=token, recovering=False) for row in by_id.values()])
    return found


def _record_all(conn: Connection, outcomes: list[Outcome]) -> None:
    """Write outcomes: every `sent` one in a single statement, the rest one by one."""
    sent_ones = [o for o in outcomes if o.status is OutboxStatus.SENT]
    for other in outcomes:
        if other.status is not OutboxStatus.SENT:
            _apply(conn, other)
    if not sent_ones:
        return
    conn.execute(
        _MARK_SENT,
        [
            {
                "b_id": o.held.row.id,
                "b_claim": o.held.token,
                "b_channel": o.values["sent_channel"],
                "b_message": o.values["sent_message_id"],
                "b_thread": o.values["sent_thread"],
                "b_at": o.values["sent_at"],
            }
            for o in sent_ones
        ],
    )


def _release(conn: Connection, claims: list[Claim]) -> None:
    """Give back claimed posts that were never handed to the platform (no attempt used)."""
    by_token: dict[str, list[int]] = {}
    for c in claims:
        by_token.setdefault(c.token, []).append(c.row.id)
    for token, ids in by_token.items():
        conn.execute(_RELEASE, {"b_ids": ids, "b_token": token})


def _heads(conn: Connection, channel_keys: Sequence[str], limit: int) -> dict[str, list[_Head]]:
    """Each channel's first `limit` active rows, oldest first: what a claim looks at."""
    if len(channel_keys) == 1:
        rows = conn.execute(_HEADS_ONE, {"b_key": channel_keys[0], "b_limit": limit}).all()
    else:
        rows = conn.execute(_HEADS_MANY, {"b_keys": list(channel_keys), "b_limit": limit}).all()
    found: dict[str, list[_Head]] = {}
    for row in rows:
        found.setdefault(row.channel_key, []).append(row)
    return found


@cache
def _claim_one(old: OutboxStatus, held: bool) -> Update:
    """The claim of one head row in status `old`, unclaimed or (`held`) under a dead claim."""
    return statuses.guarded(
        OutboxRow.status,
        OutboxStatus.SENDING,
        OutboxRow.id == bindparam("b_id"),
        OutboxRow.claim == bindparam("b_old") if held else OutboxRow.claim.is_(None),
        old=old,
        claim=bindparam("b_token"),
        lease_until=bindparam("b_lease"),
        attempts=OutboxRow.attempts + 1,
    ).returning(*_ROW)


def _claim_row(conn: Connection, head: _Head, now: datetime) -> Claim | Busy:
    """Claim the channel's head row (read as `head`), unless it must wait or is held."""
    leased = head.lease_until is not None and head.lease_until > now
    if head.status == OutboxStatus.SENDING and leased and not holder_died(head.claim):
        return Busy(retry_at=None if head.claim else head.lease_until)  # unclaimed: in doubt
    if head.status == OutboxStatus.PENDING and head.next_attempt_at > now:
        return Busy(retry_at=head.next_attempt_at)
    token = new_claim()
    row = conn.execute(
        _claim_one(OutboxStatus(head.status), head.claim is not None),
        {"b_id": head.id, "b_old": head.claim, "b_token": token, "b_lease": now + LEASE},
    ).one_or_none()
    if row is None:
        return Busy(retry_at=None)
    return Claim(row=row, token=token, recovering=head.status == OutboxStatus.SENDING)


def sent(claim: Claim, ref: SentRef | None) -> Outcome:
    """The outcome of a delivered post (its platform reference recorded)."""
    return Outcome(
        claim,
        OutboxStatus.SENT,
        dict(
            sent_channel=ref.channel if ref else None,
            sent_message_id=ref.message_id if ref else None,
            sent_thread=ref.thread if ref else None,
            sent_at=utcnow(),
            lease_until=None,
        ),
    )


def record(db: Database, outcome: Outcome) -> bool:
    """Write one outcome on its own (when no further claim follows)."""
    return _finish(db, outcome.held, status=outcome.status, **outcome.values)


def mark_sent(db: Database, claim: Claim, ref: SentRef | None) -> bool:
    outcome = sent(claim, ref)
    return _finish(db, claim, status=outcome.status, **outcome.values)


def mark_retry(db: Database, claim: Claim, *, delay: float, error: str, count: bool = True) -> bool:
    """Put the post back, due after `delay`; `count=False` gives back the attempt it used."""
    return _finish(
        db,
        claim,
        status=OutboxStatus.PENDING,
        next_attempt_at=utcnow() + timedelta(seconds=delay),
        last_error=error[:2000],
        lease_until=None,
        claim=None,
        attempts=OutboxRow.attempts - (0 if count else 1),
    )


def mark_in_doubt(db: Database, claim: Claim, *, delay: float, error: str) -> bool:
    """Recovery could not yet tell whether the post arrived: stay `sending`, unclaimed, and
    ask the platform again after `delay` (never send blindly)."""
    return _finish(
        db,
        claim,
        status=OutboxStatus.SENDING,
        lease_until=utcnow() + timedelta(seconds=delay),
        claim=None,
        last_error=error[:2000],
    )


def mark_failed(db: Database, claim: Claim, *, error: str) -> bool:
    return _finish(db, claim, status=OutboxStatus.FAILED, last_error=error[:2000], lease_until=None)


def _finish(db: Database, held: Claim, *, status: OutboxStatus, **values: object) -> bool:
    """Apply the outcome only if this worker still holds the claim."""
    with db.engine.begin() as conn:
        return _apply(conn, Outcome(held, status, values))


def _apply(conn: Connection, outcome: Outcome) -> bool:
    held = outcome.held
    done = conn.execute(
        statuses.guarded(
            OutboxRow.status,
            outcome.status,
            OutboxRow.id == held.row.id,
            OutboxRow.claim == held.token,
            old=OutboxStatus.SENDING,
            **outcome.values,
        )
    )
    return done.rowcount == 1


def sent_ref(db: Database, outbox_id: int) -> tuple[str, SentRef | None]:
    """Status and platform reference of an earlier post (for threads and edits)."""
    with db.engine.connect() as conn:
        row = conn.execute(_SENT_REF, {"b_id": outbox_id}).one_or_none()
    if row is None:
        return OutboxStatus.FAILED.value, None
    if row.status != OutboxStatus.SENT or not row.sent_message_id:
        return row.status, None
    return row.status, SentRef(
        channel=row.sent_channel or "", message_id=row.sent_message_id, thread=row.sent_thread
    )


def due_channels(db: Database, *, limit: int = 500) -> list[str]:
    """Channels with a post that is due, or whose sender's lease expired (for the reconciler)."""
    now = utcnow()
    with db.session() as s:
        pending = s.scalars(
            select(OutboxRow.channel_key)
            .where(OutboxRow.status == OutboxStatus.PENDING, OutboxRow.next_attempt_at <= now)
            .distinct()
            .limit(limit)
        ).all()
        sending = s.execute(
            select(OutboxRow.channel_key, OutboxRow.lease_until, OutboxRow.claim)
            .where(OutboxRow.status == OutboxStatus.SENDING)
            .limit(limit)
        ).all()
    stale = [key for key, lease, claim in sending if lease is None or lease < now
             or holder_died(claim)]  # fmt: skip
    return sorted(set(pending) | set(stale))
