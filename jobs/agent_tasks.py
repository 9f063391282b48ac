"""Agent jobs: a domain agent's turn and a routing consultation (see `domains.agent`).

Thin like every job: ids in, the service does the work, then what it posted is delivered and
the jobs it asked for are queued — after its transaction committed, never before.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from jobs.runtime import current
from orchestrator.services import Services

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=15)  # longer than any charter's turn plus the job's backoff


def agent_turn(event_id: int, domain: str) -> None:
    """Run (once) the agent turn of one message in one domain."""
    from domains.agent import turn

    svc = current()
    finished = turn.run(svc, event_id=event_id, domain=domain)
    if finished is not None:
        try:
            _after(svc, finished.channel_keys, finished.jobs, f"turn-{event_id}-{domain}")
        finally:  # the answer is posted (or left to the reconciler): the live status ends
            finished.progress.done()
        _queue_shadow(svc, event_id, domain)


def agent_shadow(event_id: int, domain: str) -> None:
    """A shadow candidate's turn on a live message: recorded, never posted or applied."""
    from domains.agent import shadow_turn

    shadow_turn.run(current(), event_id=event_id, domain=domain)


def _queue_shadow(svc: Services, event_id: int, domain: str) -> None:
    from domains.agent import shadow_turn

    try:
        shadow_turn.queue_if_shadowed(svc, event_id, domain)
    except Exception as exc:  # a shadow must never fail the live turn's job
        log.warning("shadow turn not queued (%s)", type(exc).__name__)


def agent_route(event_id: int) -> None:
    """Ask the model where an ambiguous message belongs, then route it or ask the user."""
    from domains.agent.routing import route_turn

    svc = current()
    keys, jobs = route_turn(svc, event_id)
    _after(svc, keys, jobs, f"route-{event_id}")


def brief_summary(run_id: int) -> None:
    """Post the hub agent's short summary after a brief run (once per run)."""
    from domains.agent.briefs import summarise_run

    svc = current()
    _after(svc, summarise_run(svc, run_id), [], f"brief-{run_id}")


def queue_brief_summary(svc: Services, brief: str) -> None:
    """After a scheduled brief committed: queue its summary (with a model key only)."""
    from domains.briefs.models import BriefRunRow

    if svc.settings.offline:
        return
    with svc.db.session() as s:
        run_id = s.scalar(
            select(BriefRunRow.id)
            .where(BriefRunRow.brief == brief)
            .order_by(BriefRunRow.id.desc())
            .limit(1)
        )
    if run_id is None:
        return
    try:
        svc.queue.enqueue("brief_summary", job_id=f"brief_summary-{run_id}", run_id=run_id)
    except Exception as exc:  # a summary is optional: the brief itself is already queued
        log.warning("brief %s: summary not queued (%s)", brief, type(exc).__name__)


def _after(svc: Services, keys: set[str], jobs: list[tuple[str, dict[str, Any]]], tag: str) -> None:
    from orchestrator.handoff import deliver_channel

    for channel_key in sorted(keys):
        deliver_channel(svc, channel_key)
    for n, (name, kwargs) in enumerate(jobs):
        try:
            svc.queue.enqueue(name, job_id=f"{name}-{tag}-{n}", **kwargs)
        except Exception as exc:  # the work is in the database: the reconciler queues it
            log.warning("job %s not queued (%s); left to the reconciler", name, type(exc).__name__)


def requeue_stale_turns(svc: Services, *, stale_after: timedelta = STALE_AFTER) -> int:
    """Queue again the agent turns that were queued or running too long (a lost job, a dead
    worker); a turn past its attempts is finished by the job with the unavailable reply."""
    from domains.agent.models import AgentTurnRow, TurnKind
    from orchestrator.db import utcnow
    from orchestrator.statuses import TurnStatus

    cutoff = utcnow() - stale_after
    with svc.db.session() as s:
        rows = s.execute(
            select(AgentTurnRow.kind, AgentTurnRow.event_id, AgentTurnRow.domain).where(
                AgentTurnRow.status.in_([TurnStatus.QUEUED.value, TurnStatus.RUNNING.value]),
                func.coalesce(AgentTurnRow.started_at, AgentTurnRow.created_at) <= cutoff,
            )
        ).all()
    for kind, event_id, domain in rows:
        if kind == TurnKind.ROUTE:
            svc.queue.enqueue("agent_route", job_id=f"agent_route-{event_id}-r", event_id=event_id)
        elif kind == TurnKind.BRIEF:
            svc.queue.enqueue(
                "brief_summary", job_id=f"brief_summary-{event_id}-r", run_id=event_id
            )
        else:
            svc.queue.enqueue("agent_turn", job_id=f"agent_turn-{event_id}-{domain}-r",
                              event_id=event_id, domain=domain)  # fmt: skip
    if rows:
        log.info("reconciler: %d agent turns re-queued", len(rows))
    return len(rows)
