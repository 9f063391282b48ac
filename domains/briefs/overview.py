"""The briefs as the dashboard shows them: each brief with the domain it belongs to, its
schedule and next due time (its own time zone), and its latest runs with their receipts
(delivered when, where), late and skipped runs explained in words.

The stored notes stay as they are (`brief_runs.note`, the event log); what a person reads is
said here, from the run's status, due time and note.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains.briefs import clock, texts
from domains.briefs.build import zone_of
from domains.briefs.models import BriefRunRow
from orchestrator.charters import HUB, BriefSpec, CharterSet
from orchestrator.db import utcnow
from orchestrator.settings import Settings
from orchestrator.statuses import BriefRunStatus

__all__ = ["briefs_overview", "first_seen", "next_due", "owned_briefs", "run_text"]

RECENT_RUNS = 5


def owned_briefs(charters: CharterSet) -> list[tuple[str, BriefSpec]]:
    """Every brief with the domain whose charter declares it (the hub's are `hub`)."""
    found = [(HUB, spec) for spec in charters.hub.briefs]
    for name in charters.names():
        found.extend((name, spec) for spec in charters.get(name).briefs)
    return found


def next_due(spec: BriefSpec, zone: ZoneInfo, now: datetime) -> clock.Slot | None:
    return None if spec.on_demand_only else clock.next_slot(spec.cron, zone, now)


def briefs_overview(
    charters: CharterSet, settings: Settings, session: Session, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The dashboard's `brief schedule` view: one entry per brief."""
    now = now or utcnow()
    out = []
    for domain, spec in owned_briefs(charters):
        zone = zone_of(spec, settings)
        slot = next_due(spec, zone, now)
        runs = session.scalars(
            select(BriefRunRow)
            .where(BriefRunRow.brief == spec.name)
            .order_by(BriefRunRow.started_at.desc(), BriefRunRow.id.desc())
            .limit(RECENT_RUNS)
        ).all()
        out.append({
            "brief": spec.name, "title": spec.title, "domain": domain, "posts_to": spec.post_to,
            "schedule": texts.ON_DEMAND if spec.on_demand_only else f"{spec.cron} ({zone})",
            "next_due": texts.when(slot.local) if slot else None, "zone": str(zone),
            "runs": [{"status": r.status, "trigger": r.trigger, "text": run_text(r, zone),
                      "messages": len(r.message_ids)} for r in runs],
        })  # fmt: skip
    return out


def first_seen(run: BriefRunRow) -> bool:
    """A period due before the scheduler first saw this schedule (a fresh install): not posted
    on purpose, not an error."""
    return run.status == BriefRunStatus.SKIPPED.value and run.note == texts.first_seen(run.period)


def run_text(run: BriefRunRow, zone: ZoneInfo) -> str:
    """What happened to one run, in words, with times in `zone`."""
    status = BriefRunStatus(run.status)
    due = _local(run.due_at or run.started_at, zone)
    if status is BriefRunStatus.QUEUED:
        return texts.run_queued(_local(run.started_at, zone))
    if status is BriefRunStatus.FAILED:
        return texts.run_failed(due, run.note or "a post failed")
    if status is BriefRunStatus.SKIPPED:
        if first_seen(run):
            return texts.run_first_seen(due)
        if run.note == texts.MISSED:
            return texts.run_missed(due)
        return texts.run_skipped(due, run.note or "")
    posted = _local(run.posted_at or run.started_at, zone)
    if status is BriefRunStatus.LATE:
        return texts.run_late(posted, _where(run), due)
    return texts.run_posted(posted, _where(run))


def _local(at: datetime, zone: ZoneInfo) -> str:
    return texts.when(clock.to_local(at, zone))


def _where(run: BriefRunRow) -> str:
    places = [f"{m.get('platform')} {m.get('channel') or ''}".strip() for m in run.message_ids]
    return ", ".join(dict.fromkeys(places)) or texts.NOWHERE
