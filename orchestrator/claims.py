"""Creating a domain's channel or topic once, however many processes start at the same time.

Telegram cannot list forum topics, and two `createForumTopic` calls make two topics; so the
`channels` row is claimed before anything is created. The row's unique (platform, domain)
key decides: the process whose insert of a row with `external_id = PENDING` commits creates
the place and fills the row in; every other process waits for it. A claim left by a process
that died mid-way goes stale after `STALE` and is taken over (compare-and-set on its time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from orchestrator.canonical import Platform
from orchestrator.db import Database, rowcount, utcnow
from orchestrator.models import ChannelRow
from orchestrator.outbound import RetryLater

PENDING = ""  # external_id of a claimed row whose place is still being created
STALE = timedelta(seconds=60)
WAIT = 30.0  # seconds a process waits for another's creation before giving up for now
POLL = 0.1

Create = Callable[[], tuple[str, str | None]]


def stored(db: Database, platform: Platform, domain: str) -> tuple[str, str | None] | None:
    """The remembered (channel, thread), or None (also while another process creates it)."""
    with db.session() as s:
        row = s.execute(
            select(ChannelRow.external_id, ChannelRow.thread).where(
                ChannelRow.platform == platform.value, ChannelRow.domain == domain
            )
        ).first()
    if row is None or row.external_id == PENDING:
        return None
    return row.external_id, row.thread


def ensure(
    db: Database, platform: Platform, domain: str, name: str, create: Create
) -> tuple[str, str | None]:
    deadline = time.monotonic() + WAIT
    while True:
        place = stored(db, platform, domain)
        if place is not None:
            return place
        claim = _claim(db, platform, domain, name)
        if claim is not None:
            return _create(db, claim, create)
        if time.monotonic() > deadline:
            raise RetryLater(5.0, f"{platform.value} {name} is still being created elsewhere")
        time.sleep(POLL)


def _claim(db: Database, platform: Platform, domain: str, name: str) -> int | None:
    """The id of the claimed row, or None when another process holds a live claim."""
    try:
        with db.session() as s:
            row = ChannelRow(
                platform=platform.value, domain=domain, external_id=PENDING, thread=None, name=name
            )
            s.add(row)
            s.flush()
            return row.id
    except IntegrityError:
        pass
    return _take_over(db, platform, domain)


def _take_over(db: Database, platform: Platform, domain: str) -> int | None:
    """A claim older than STALE: its process died; take it (only one process wins)."""
    now = utcnow()
    with db.session() as s:
        row = s.execute(
            select(ChannelRow.id, ChannelRow.created_at).where(
                ChannelRow.platform == platform.value,
                ChannelRow.domain == domain,
                ChannelRow.external_id == PENDING,
            )
        ).first()
        if row is None or now - row.created_at < STALE:
            return None
        won = s.execute(
            update(ChannelRow)
            .where(ChannelRow.id == row.id, ChannelRow.created_at == row.created_at)
            .values(created_at=now)
        )
    return row.id if rowcount(won) == 1 else None


def _create(db: Database, claim: int, create: Create) -> tuple[str, str | None]:
    try:
        external_id, thread = create()
    except BaseException:
        with db.session() as s:  # let the next attempt (here or elsewhere) try at once
            s.execute(
                delete(ChannelRow).where(ChannelRow.id == claim, ChannelRow.external_id == PENDING)
            )
        raise
    with db.session() as s:
        s.execute(
            update(ChannelRow)
            .where(ChannelRow.id == claim)
            .values(external_id=external_id, thread=thread, created_at=utcnow())
        )
    return external_id, thread
