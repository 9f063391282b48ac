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
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from orchestrator import statuses
from orchestrator.canonical import Post, SentRef, Target, dump
from orchestrator.db import Database, rowcount, utcnow
from orchestrator.models import OutboxRow
from orchestrator.statuses import OutboxStatus

LEASE = timedelta(seconds=60)
_Head = Row[int, str, datetime | None, datetime, str | None]  # what a claim reads of a row
ACTIVE = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
HOST = socket.gethostname()[:20]


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
) -> OutboxRow:
    """Queue a post (or, with `update_of`, an edit of an earlier one) in the caller's transaction."""
    row = OutboxRow(
        key=key,
        platform=target.platform.value,
        channel_key=target.channel_key(),
        target=dump(target),
        post=dump(post),
        kind="update" if update_of else "post",
        update_of=update_of,
        source_event_id=source_event_id,
        status=OutboxStatus.PENDING.value,
        next_attempt_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


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
    later posts can edit it like any delivered post; it is never sent by the outbox."""
    row = add_post(session, key=key, target=target, post=post, source_event_id=source_event_id)
    row.status = OutboxStatus.SENT.value
    row.sent_channel, row.sent_message_id, row.sent_thread = ref.channel, ref.message_id, ref.thread
    row.sent_at = utcnow()
    session.flush()
    return row


@dataclass(frozen=True)
class Claim:
    row: OutboxRow
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


def claim_head(
    db: Database, channel_key: str, *, record: Outcome | None = None
) -> Claim | Busy | None:
    """Claim the channel's next post; None when nothing is left to send.

    `record` is the previous post's outcome: written in the same transaction, so a steady
    stream of posts costs one transaction each (claim this, finish that).
    """
    with db.session() as s:
        if record is not None:
            _apply(s, record)
        return _claim(s, channel_key)


def claim_heads(
    db: Database,
    channel_key: str,
    *,
    limit: int,
    record: list[Outcome] | None = None,
    release: list[Claim] | None = None,
) -> list[Claim] | Busy | None:
    """Claim up to `limit` posts at the channel's head, in order, under one claim token.

    The head is claimed as `claim_head` does; while it is a plain first attempt, the rows
    right behind it that are pending and due are claimed with it in one statement, so a
    channel's stream costs one transaction a batch, not one a post. Recovery (a head whose
    sender died) is never batched: each such post is checked on its own.

    In the same transaction: `record` (outcomes of the previous batch; the posts that were
    sent are marked in one statement) and `release` (claimed posts that were never sent,
    given back without using an attempt).
    """
    with db.session() as s:
        _record_all(s, record or [])
        _release(s, release or [])
        if limit <= 0:  # only the writing
            return None
        return _claim_run(s, channel_key, limit)


def _claim_run(s: Session, channel_key: str, limit: int) -> list[Claim] | Busy | None:
    """The head and the unbroken run of pending, due rows behind it: one read, one update."""
    now = utcnow()
    heads = _heads(s, channel_key, limit)
    if not heads:
        return None
    ids: list[int] = []
    for r in heads:  # only an unbroken run: nothing may overtake a row that must wait
        if r.status != OutboxStatus.PENDING or r.next_attempt_at > now or r.claim is not None:
            break
        ids.append(r.id)
    if not ids:  # the head is in flight, in doubt or not due: claimed on its own, or busy
        head = _claim_row(s, heads[0], now)
        return [head] if isinstance(head, Claim) else head
    token = new_claim()
    rows = s.scalars(
        statuses.guarded(
            OutboxRow.status,
            OutboxStatus.SENDING,
            OutboxRow.id.in_(ids),
            OutboxRow.claim.is_(None),
            old=OutboxStatus.PENDING,
            claim=token,
            lease_until=now + LEASE,
            attempts=OutboxRow.attempts + 1,
        )
        .returning(OutboxRow)
        .execution_options(synchronize_session=False)
    ).all()
    by_id = {row.id: row for row in rows}
    run: list[Claim] = []
    for row_id in ids:
        if row_id not in by_id:
            break
        run.append(Claim(row=by_id.pop(row_id), token=token, recovering=False))
    _release(s, [Claim(row=row, token=token, recovering=False) for row in by_id.values()])
    return run or Busy(retry_at=None)  # another worker claimed the head first


def _record_all(s: Session, outcomes: list[Outcome]) -> None:
    """Write outcomes: every `sent` one in a single statement, the rest one by one."""
    sent_ones = [o for o in outcomes if o.status is OutboxStatus.SENT]
    for other in outcomes:
        if other.status is not OutboxStatus.SENT:
            _apply(s, other)
    if not sent_ones:
        return
    # One executemany (psycopg pipelines it); `guarded`'s IN list cannot be used with that,
    # so the move it checks (sending -> sent) is spelled out.
    statement = (
        update(OutboxRow)
        .where(
            OutboxRow.id == bindparam("b_id"),
            OutboxRow.claim == bindparam("b_claim"),
            OutboxRow.status == OutboxStatus.SENDING.value,
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
    s.connection().execute(
        statement,
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


def _release(s: Session, claims: list[Claim]) -> None:
    """Give back claimed posts that were never handed to the platform (no attempt used)."""
    if not claims:
        return
    token = claims[0].token
    s.execute(
        statuses.guarded(
            OutboxRow.status,
            OutboxStatus.PENDING,
            OutboxRow.id.in_([c.row.id for c in claims]),
            OutboxRow.claim == token,
            old=OutboxStatus.SENDING,
            claim=None,
            lease_until=None,
            attempts=OutboxRow.attempts - 1,
        ).execution_options(synchronize_session=False)
    )


def _claim(s: Session, channel_key: str) -> Claim | Busy | None:
    heads = _heads(s, channel_key, 1)
    return _claim_row(s, heads[0], utcnow()) if heads else None


def _heads(s: Session, channel_key: str, limit: int) -> list[_Head]:
    """The channel's first `limit` active rows, oldest first: what a claim looks at."""
    return list(
        s.execute(
            select(
                OutboxRow.id,
                OutboxRow.status,
                OutboxRow.lease_until,
                OutboxRow.next_attempt_at,
                OutboxRow.claim,
            )
            .where(OutboxRow.channel_key == channel_key, OutboxRow.status.in_(ACTIVE))
            .order_by(OutboxRow.id)
            .limit(limit)
        ).all()
    )


def _claim_row(s: Session, head: _Head, now: datetime) -> Claim | Busy:
    """Claim the channel's head row (read as `head`), unless it must wait or is held."""
    leased = head.lease_until is not None and head.lease_until > now
    if head.status == OutboxStatus.SENDING and leased and not holder_died(head.claim):
        return Busy(retry_at=None if head.claim else head.lease_until)  # unclaimed: in doubt
    if head.status == OutboxStatus.PENDING and head.next_attempt_at > now:
        return Busy(retry_at=head.next_attempt_at)
    token = new_claim()
    row = s.scalars(
        statuses.guarded(
            OutboxRow.status,
            OutboxStatus.SENDING,
            OutboxRow.id == head.id,
            OutboxRow.claim.is_(None) if head.claim is None else OutboxRow.claim == head.claim,
            old=OutboxStatus(head.status),
            claim=token,
            lease_until=now + LEASE,
            attempts=OutboxRow.attempts + 1,
        )
        .returning(OutboxRow)
        .execution_options(synchronize_session=False)
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
    with db.session() as s:
        return _apply(s, Outcome(held, status, values))


def _apply(s: Session, outcome: Outcome) -> bool:
    held = outcome.held
    done = s.execute(
        statuses.guarded(
            OutboxRow.status,
            outcome.status,
            OutboxRow.id == held.row.id,
            OutboxRow.claim == held.token,
            old=OutboxStatus.SENDING,
            **outcome.values,
        ).execution_options(synchronize_session=False)
    )
    return rowcount(done) == 1


def sent_ref(db: Database, outbox_id: int) -> tuple[str, SentRef | None]:
    """Status and platform reference of an earlier post (for threads and edits)."""
    with db.session() as s:
        row = s.get(OutboxRow, outbox_id)
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
