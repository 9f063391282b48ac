"""Receipts: a queued run becomes posted, late or failed once its outbox posts are final.

Checked on every scheduler tick. The message ids the platforms returned are copied from the
outbox rows onto the run. A run whose posts ended failed (after the outbox's own retries) is
marked failed once — a conditional update, so two schedulers alert once — and the operator is
told in the hub on every platform.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains.briefs import texts
from domains.briefs.build import find_brief, platforms
from domains.briefs.models import BriefRunRow
from orchestrator import statuses
from orchestrator.canonical import Post
from orchestrator.charters import HUB, CharterSet
from orchestrator.eventlog import record
from orchestrator.models import OutboxRow
from orchestrator.posting import PostBatch
from orchestrator.settings import Settings
from orchestrator.statuses import BriefRunStatus, OutboxStatus

BATCH = 200
FINAL = (OutboxStatus.SENT.value, OutboxStatus.FAILED.value)


def sync_receipts(session: Session, charters: CharterSet, *, settings: Settings) -> list[OutboxRow]:
    """Close every queued run whose posts are all final; return the alert posts queued."""
    alerts: list[OutboxRow] = []
    queued = session.scalars(
        select(BriefRunRow)
        .where(BriefRunRow.status == BriefRunStatus.QUEUED.value)
        .order_by(BriefRunRow.id)
        .limit(BATCH)
    ).all()
    for run in queued:
        rows = _outbox_rows(session, run.outbox_ids)
        if any(r.status not in FINAL for r in rows):
            continue
        failed = [r for r in rows if r.status == OutboxStatus.FAILED.value]
        if not _close(session, run, rows, failed):
            continue  # another scheduler closed it first
        if failed:
            spec = find_brief(charters, run.brief)
            title = spec.title if spec else run.brief
            alert = Post(text=texts.failed_alert(title, run.period, run.note or ""))
            batch = PostBatch(session, f"brief-alert:{run.id}")
            for platform in platforms(settings):
                alerts += batch.to_domain(settings, platform, HUB, alert)
    return alerts


def _outbox_rows(session: Session, ids: list[int]) -> list[OutboxRow]:
    if not ids:
        return []
    return list(session.scalars(select(OutboxRow).where(OutboxRow.id.in_(ids))).all())


def _close(
    session: Session, run: BriefRunRow, rows: list[OutboxRow], failed: list[OutboxRow]
) -> bool:
    """Move the run from queued to its final status, once."""
    status = BriefRunStatus.LATE if run.late else BriefRunStatus.POSTED
    note = run.note
    if failed:
        status = BriefRunStatus.FAILED
        note = "; ".join(sorted({f"{r.platform}: {r.last_error or 'failed'}" for r in failed}))
    posted_at = max((r.sent_at for r in rows if r.sent_at), default=None)
    closed = statuses.move(
        session, BriefRunRow.status, status, BriefRunRow.id == run.id,
        old=BriefRunStatus.QUEUED, posted_at=posted_at, message_ids=message_ids(rows), note=note,
    )  # fmt: skip
    if not closed:
        return False
    session.refresh(run)
    record(
        session,
        kind=f"brief.{status.value}",
        actor="scheduler",
        subject=f"brief:{run.brief}",
        data={"period": run.period, "run": run.id, "note": note},
    )
    return True


def message_ids(rows: list[OutboxRow]) -> list[dict[str, Any]]:
    """What each platform answered, in post order (None where it never confirmed)."""
    return [
        {"platform": r.platform, "channel": r.sent_channel, "message_id": r.sent_message_id}
        for r in sorted(rows, key=lambda r: r.id)
        if r.status == OutboxStatus.SENT.value
    ]


def last_run(session: Session, brief: str) -> BriefRunRow | None:
    """The brief's most recent run (scheduled or on demand), for `parallelos briefs`."""
    return session.scalars(
        select(BriefRunRow)
        .where(BriefRunRow.brief == brief)
        .order_by(BriefRunRow.started_at.desc(), BriefRunRow.id.desc())
        .limit(1)
    ).first()


def describe(run: BriefRunRow | None) -> str:
    """`posted Mon 30 Mar 08:00 UTC (2026-03-30T08:00), 2 message(s)` — one listing line."""
    if run is None:
        return "never"
    at = run.posted_at or run.started_at
    text = f"{run.status} {texts.when(at)} UTC ({run.period})"
    if run.message_ids:
        text += f", {len(run.message_ids)} message(s)"
    return text + (f" — {run.note}" if run.note else "")


def recent_runs(session: Session, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, newest first, for the dashboard's "Briefs" section."""
    rows = session.scalars(
        select(BriefRunRow)
        .order_by(BriefRunRow.started_at.desc(), BriefRunRow.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "brief": r.brief,
            "period": r.period,
            "status": r.status,
            "trigger": r.trigger,
            "started": texts.when(r.started_at) + " UTC",
            "messages": len(r.message_ids),
            "note": r.note or "",
        }
        for r in rows
    ]
