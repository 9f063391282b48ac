"""Starting brief runs: scheduled (once per period) and on demand (never consuming a period).

Everything a run does — its row, skipped rows for periods missed by more than one period, its
outbox posts and its log events — is written in the caller's transaction. Two schedulers that
start the same period both try to insert `(brief, period)`; the database lets one commit and
the other gets an IntegrityError and rolls back its posts with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains.briefs import clock, sources, texts
from domains.briefs.build import Brief, build_brief, platforms, zone_of
from domains.briefs.models import BriefRunRow, BriefTrigger
from orchestrator import statuses
from orchestrator.canonical import Platform
from orchestrator.charters import BriefSpec, CharterSet
from orchestrator.eventlog import record
from orchestrator.models import OutboxRow
from orchestrator.posting import PostBatch
from orchestrator.settings import Settings
from orchestrator.statuses import BriefRunStatus

ON_TIME = timedelta(minutes=15)  # started later than this after its slot: marked late
MAX_SKIPPED_ROWS = 24  # receipts written for missed periods; the log note counts them all
ACTOR = "scheduler"


def schedule_of(spec: BriefSpec, zone: ZoneInfo) -> str:
    """What a period is computed from; when it changes, the brief starts afresh."""
    return f"{spec.cron} {zone}"


def schedule_due(
    session: Session, charters: CharterSet, spec: BriefSpec, *, settings: Settings, now: datetime
) -> list[OutboxRow]:
    """Start the brief's latest due period if nothing has handled it yet; return its posts."""
    zone = zone_of(spec, settings)
    slot = clock.latest_slot(spec.cron, zone, now)
    if _exists(session, spec.name, slot.period):
        return []
    skipped = _settle_earlier(session, spec, zone, slot, now)
    if skipped is None:
        return []
    late = now - slot.at > ON_TIME
    note = texts.late_note(slot.local, str(zone), skipped) if late else None
    run = _insert(session, spec.name, BriefTrigger.SCHEDULED, slot.period, due_at=slot.at)
    run.late, run.note, run.schedule = late, note, schedule_of(spec, zone)
    brief = build_brief(session, charters, spec, settings=settings, now=now, slot=slot, note=note)
    batch = PostBatch(session, f"brief:{spec.name}:{slot.period}")
    return _queue(session, settings, spec, run, batch, platforms(settings), brief)


def _settle_earlier(
    session: Session, spec: BriefSpec, zone: ZoneInfo, slot: clock.Slot, now: datetime
) -> int | None:
    """Record the periods this run will not post; None when `slot` itself is not posted.

    A brief seen for the first time (or whose schedule changed) starts only with a slot within
    ON_TIME. Otherwise every period between the last scheduled run and `slot` was missed by
    more than one period (downtime): each is recorded as skipped; their count is returned.
    """
    schedule = schedule_of(spec, zone)
    last = sources.last_scheduled_run(session, spec.name)
    if last is None or last.schedule != schedule or last.due_at is None:
        if now - slot.at <= ON_TIME:
            return 0
        _skip(session, spec.name, schedule, [slot], 1, texts.first_seen(slot.period))
        return None
    missed, count = clock.slots_between(
        spec.cron, zone, last.due_at, slot.at, limit=MAX_SKIPPED_ROWS
    )
    if count:
        _skip(session, spec.name, schedule, missed, count, texts.MISSED)
    return count


def start_on_demand(
    session: Session,
    charters: CharterSet,
    spec: BriefSpec,
    *,
    settings: Settings,
    now: datetime,
    request_id: str,
    requested_by: str,
    batch: PostBatch,
    on: list[Platform],
) -> BriefRunRow:
    """Post the brief now on the given platforms; its period is the request, never a slot."""
    brief = build_brief(session, charters, spec, settings=settings, now=now)
    run = _insert(session, spec.name, BriefTrigger.ON_DEMAND, f"on-demand:{request_id}")
    run.requested_by = requested_by
    _queue(session, settings, spec, run, batch, on, brief)
    return run


def _queue(
    session: Session,
    settings: Settings,
    spec: BriefSpec,
    run: BriefRunRow,
    batch: PostBatch,
    on: list[Platform],
    brief: Brief,
) -> list[OutboxRow]:
    """Queue the brief's posts on each platform; approval cards join their approvals."""
    rows: list[OutboxRow] = []
    links: dict[str, list[int]] = {}
    first_card = len(brief.posts) - len(brief.cards)
    for platform in on:
        for index, post in enumerate(brief.posts):
            added = batch.to_domain(settings, platform, spec.post_to, post)
            rows += added
            if index >= first_card:
                links.setdefault(brief.cards[index - first_card], []).extend(r.id for r in added)
    sources.link_cards(session, links)
    run.outbox_ids = [row.id for row in rows]
    if not rows:
        statuses.move(
            session, BriefRunRow.status, BriefRunStatus.SKIPPED, BriefRunRow.id == run.id,
            note="no place to post it",
        )  # fmt: skip
    record(
        session,
        kind="brief.queued" if rows else "brief.skipped",
        actor=run.requested_by or ACTOR,
        subject=f"brief:{spec.name}",
        data={"period": run.period, "trigger": run.trigger, "posts": len(rows), "late": run.late},
    )
    return rows


def _insert(
    session: Session,
    brief: str,
    trigger: BriefTrigger,
    period: str,
    *,
    due_at: datetime | None = None,
    status: BriefRunStatus = BriefRunStatus.QUEUED,
    note: str | None = None,
) -> BriefRunRow:
    run = BriefRunRow(
        brief=brief,
        trigger=trigger.value,
        period=period,
        due_at=due_at,
        status=status.value,
        late=False,
        outbox_ids=[],
        message_ids=[],
        note=note,
    )
    session.add(run)
    session.flush()  # the unique (brief, period) is checked here
    return run


def _skip(
    session: Session, brief: str, schedule: str, slots: list[clock.Slot], total: int, why: str
) -> None:
    for slot in slots:
        run = _insert(
            session,
            brief,
            BriefTrigger.SCHEDULED,
            slot.period,
            due_at=slot.at,
            status=BriefRunStatus.SKIPPED,
            note=why,
        )
        run.schedule = schedule
    periods = [s.period for s in slots]
    record(
        session,
        kind="brief.skipped",
        actor=ACTOR,
        subject=f"brief:{brief}",
        data={"periods": periods, "count": total, "note": why},
    )


def _exists(session: Session, brief: str, period: str) -> bool:
    query = select(BriefRunRow.id).where(BriefRunRow.brief == brief, BriefRunRow.period == period)
    return session.scalar(query) is not None
