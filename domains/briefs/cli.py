"""`parallelos briefs` (kinds, next due, last run) and `parallelos brief NAME [--dry-run]`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from domains.briefs import clock, texts
from domains.briefs.build import build_brief, find_brief, platforms, zone_of
from domains.briefs.models import BriefRunRow
from domains.briefs.overview import first_seen
from domains.briefs.paging import plain_text
from domains.briefs.receipts import describe, last_run
from domains.briefs.runs import start_on_demand
from orchestrator.charters import BriefSpec
from orchestrator.db import utcnow
from orchestrator.posting import PostBatch
from orchestrator.services import Services

NOT_MIGRATED = "the database has no brief_runs table yet: run `parallelos migrate` first"


class BriefCliError(Exception):
    """One line for the terminal."""


def list_briefs(svc: Services, *, now: datetime | None = None) -> str:
    """A table: name, destination, schedule, next due (local time), last run."""
    now = now or utcnow()
    lines = []
    with _session(svc) as s:
        for spec in svc.charters.all_briefs():
            row = [spec.name, spec.post_to, _schedule(svc, spec), _next(svc, spec, now)]
            lines.append("\t".join([*row, _last(svc, spec, last_run(s, spec.name), now)]))
    header = "\t".join(["brief", "posts to", "schedule", "next due", "last run"])
    return "\n".join([header, *lines]) + "\n"


def dry_run(svc: Services, name: str, *, now: datetime | None = None) -> str:
    """The brief as plain text; nothing is stored or posted."""
    spec = _spec(svc, name)
    now = now or utcnow()
    with _session(svc) as s:
        brief = build_brief(s, svc.charters, spec, settings=svc.settings, now=now)
        s.rollback()
    return plain_text(brief.posts)


def post_now(svc: Services, name: str, *, now: datetime | None = None) -> str:
    """Post the brief now on every configured platform (an on-demand run)."""
    from orchestrator.handoff import schedule_delivery

    spec = _spec(svc, name)
    request = f"cli-{uuid.uuid4().hex[:12]}"
    with _session(svc) as s:
        batch = PostBatch(s, f"brief:{spec.name}:{request}")
        run = start_on_demand(
            s,
            svc.charters,
            spec,
            settings=svc.settings,
            now=now or utcnow(),
            request_id=request,
            requested_by="cli",
            batch=batch,
            on=platforms(svc.settings),
        )
        keys, run_id = sorted(batch.channel_keys), run.id
    for key in keys:
        schedule_delivery(svc, key)
    return f"brief {spec.name}: run {run_id} queued {len(batch.rows)} post(s) to {spec.post_to}\n"


def _spec(svc: Services, name: str) -> BriefSpec:
    spec = find_brief(svc.charters, name)
    if spec is None:
        known = ", ".join(b.name for b in svc.charters.all_briefs())
        raise BriefCliError(f"unknown brief '{name}'; known: {known}")
    return spec


def _schedule(svc: Services, spec: BriefSpec) -> str:
    if spec.on_demand_only:
        return "on demand"
    return f"{spec.cron} ({zone_of(spec, svc.settings)})"


def _last(svc: Services, spec: BriefSpec, run: BriefRunRow | None, now: datetime) -> str:
    """The last run; before a scheduled brief's first real run (a fresh install, whose first
    period came before the scheduler did), when it will first run."""
    if not spec.on_demand_only and (run is None or first_seen(run)):
        return texts.not_due_yet(_next(svc, spec, now))
    return describe(run)


def _next(svc: Services, spec: BriefSpec, now: datetime) -> str:
    if spec.on_demand_only:
        return "—"
    zone = zone_of(spec, svc.settings)
    slot = clock.next_slot(spec.cron, zone, now)
    return slot.local.strftime("%a %d %b %Y %H:%M")


@contextmanager
def _session(svc: Services) -> Iterator[Session]:
    """`svc.db.session()`, turning a missing brief_runs table into one clear line."""
    try:
        with svc.db.session() as s:
            yield s
    except (OperationalError, ProgrammingError) as exc:
        if "brief_runs" in str(exc):
            raise BriefCliError(NOT_MIGRATED) from None
        raise
