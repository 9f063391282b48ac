"""The brief clock: on every scheduler tick, start due briefs and close their receipts.

Each brief is started in its own transaction, so one broken brief cannot hold up the others,
and a second scheduler that lost the race for a period (IntegrityError on the unique
`(brief, period)`) simply moves on. Delivery is handed to the job queue after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError, OperationalError

from domains.briefs.receipts import sync_receipts
from domains.briefs.runs import schedule_due
from domains.versions.daily import post_reports
from jobs.agent_tasks import queue_brief_summary
from orchestrator.charters import BriefSpec
from orchestrator.db import utcnow
from orchestrator.services import Services

log = logging.getLogger(__name__)


@dataclass
class Tick:
    started: list[str] = field(default_factory=list)  # briefs that queued posts this tick
    channels: set[str] = field(default_factory=set)
    alerts: int = 0


def tick(svc: Services, *, now: datetime | None = None) -> Tick:
    """Start every brief whose period is due and unhandled; close finished receipts."""
    from orchestrator.handoff import schedule_delivery

    svc.live.refresh()  # a switch made elsewhere applies to this tick's briefs
    now = now or utcnow()
    result = Tick()
    for spec in svc.charters.all_briefs():
        if spec.on_demand_only:
            continue
        rows = _start(svc, spec, now)
        if rows:
            result.started.append(spec.name)
            result.channels |= rows
    with svc.db.session() as s:
        alerts = sync_receipts(s, svc.charters, settings=svc.settings)
        result.alerts = len(alerts)
        result.channels |= {row.channel_key for row in alerts}
    for channel_key in sorted(result.channels):
        schedule_delivery(svc, channel_key)
    return result


def shadow_reports(svc: Services, *, now: datetime | None = None) -> set[str]:
    """While a shadow runs, its report card goes to the hub once a day (CONTRACT §7.7)."""
    from orchestrator.handoff import schedule_delivery

    with svc.db.session() as s:
        channels = post_reports(s, svc.settings, now=now or utcnow())
    for channel_key in sorted(channels):
        schedule_delivery(svc, channel_key)
    return channels


def _start(svc: Services, spec: BriefSpec, now: datetime) -> set[str]:
    try:
        with svc.db.session() as s:
            rows = schedule_due(s, svc.charters, spec, settings=svc.settings, now=now)
            keys = {row.channel_key for row in rows}
        if rows:
            queue_brief_summary(svc, spec.name)  # the hub agent's paragraph, with a model key
        return keys
    except IntegrityError:
        log.info("brief %s: another scheduler started this period", spec.name)
    except OperationalError as exc:  # e.g. SQLite busy with another writer: next tick
        log.warning("brief %s: database busy (%s); retrying next tick", spec.name, exc)
    except Exception:
        log.exception("brief %s could not be started", spec.name)
    return set()
