"""RQ job functions: thin, keyword-only ids in, each safe to run again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domains.approvals.delivery import run_delivery
from domains.tools.service import run_effect
from jobs import reconcile as reconciler
from jobs.agent_tasks import agent_route, agent_shadow, agent_turn, brief_summary  # noqa: F401
from jobs.runtime import current
from orchestrator import logs
from orchestrator.canonical import Platform
from orchestrator.dashboard import dashboard, views
from orchestrator.handoff import EVENTS_PER_JOB, deliver_channel, deliver_channels
from orchestrator.published_views import record_view
from orchestrator.services import Services
from orchestrator.settings import redacted

log = logging.getLogger(__name__)


class EventFailed(Exception):
    """A started event raised; its reason is kept on the event (no traceback holds its memory)."""


def process_event(event_id: int, alone: bool = False) -> None:
    """Route and handle one stored event, deliver what it posted, then queue its jobs.

    Starting the event counts an attempt; one that raises (MemoryError included) fails this job,
    not the worker, and after MAX_EVENT_ATTEMPTS it fails for good, with the reason.

    Under load the job takes other fresh events' waiting jobs with it (the queue's
    `take_events`, up to EVENTS_PER_JOB in all) and runs them as `process_events` does: RQ's
    work per job is paid once for them. `alone` (an event the reconciler retries after a start
    that did not finish) takes none, so a poison event holds up no neighbour.
    """
    svc = current()
    take = None if alone else getattr(svc.queue, "take_events", None)
    more = _taken(take, event_id) if take is not None else []
    if more:
        _run_events(svc, [event_id, *more])
        return
    handled = _handle(svc, event_id)
    if isinstance(handled, str):
        raise EventFailed(handled)
    if handled is not None:
        _finish(svc, handled.channel_keys, [handled])


def _taken(take: Callable[..., list[int]], event_id: int) -> list[int]:
    try:
        return take(EVENTS_PER_JOB - 1, besides=event_id)
    except Exception as exc:  # Redis away: this event alone; the others stay queued
        log.warning("waiting events not taken (%s)", type(exc).__name__)
        return []


def process_events(event_ids: list[int]) -> None:
    """`process_event` for several stored events in one job (`handoff.enqueue_events`), each
    started, counted and committed on its own; then what they posted is delivered in one drain
    and their jobs are queued.

    An event that raises fails alone: its attempt is counted and its reason kept exactly as in
    `process_event`, its neighbours are handled (and never run again: each is done), and the job
    then fails naming it; the reconciler queues it again, by itself (it has been started).
    """
    _run_events(current(), event_ids)


def _run_events(svc: Services, event_ids: list[int]) -> None:
    done: list[_Handled] = []
    failed: list[str] = []
    for n, event_id in enumerate(event_ids):
        with logs.correlation(logs.event_correlation(event_id)):
            # the charters brought up to date before each event, as a job of its own would be
            handled = _handle(svc, event_id, refreshed=n == 0)
        if isinstance(handled, str):
            failed.append(handled)
        elif handled is not None:
            done.append(handled)
    channel_keys: set[str] = set()
    for h in done:
        channel_keys |= h.channel_keys
    _finish(svc, channel_keys, done)
    if failed:
        raise EventFailed("; ".join(failed))


@dataclass
class _Handled:
    event_id: int
    channel_keys: set[str]
    jobs: list[tuple[str, dict[str, Any]]]


def _handle(svc: Services, event_id: int, *, refreshed: bool = True) -> _Handled | str | None:
    """Start, route and commit one event: what it posted and queued, None (not to be run: done,
    or out of attempts), or why it failed (its attempt counted, its reason kept)."""
    attempt = reconciler.start_attempt(svc, event_id)
    if attempt is None:
        return None
    jobs: list[tuple[str, dict[str, Any]]] = []
    try:
        channel_keys = svc.orchestrator.process(
            event_id,
            after_commit=jobs.extend,
            refreshed=refreshed,  # True: current() just did
        )
        reason = None
    except Exception as exc:
        reason = f"{type(exc).__name__}: {str(exc)[:300]}"
    if reason is not None:  # past the except block: the traceback and what it held are freed
        final = reconciler.attempt_failed(svc, event_id, attempt, redacted(reason))
        return f"event {event_id}, attempt {attempt}{' (final)' if final else ''}"
    return _Handled(event_id, set(channel_keys), jobs)


def _finish(svc: Services, channel_keys: set[str], handled: list[_Handled]) -> None:
    """Deliver the committed posts of the handled events, then queue what they asked for."""
    deliver_channels(svc, sorted(channel_keys))
    if channel_keys:
        schedule_home(svc)
    for h in handled:
        for n, (name, kwargs) in enumerate(h.jobs):
            try:
                svc.queue.enqueue(name, job_id=f"{name}-ev{h.event_id}-{n}", **kwargs)
            except Exception as exc:  # the work is in the database: the reconciler queues it
                log.warning(
                    "job %s not queued (%s); left to the reconciler", name, type(exc).__name__
                )


HOME_FLAG = "home"  # one Home-tab refresh queued at a time, for every change before it runs


def schedule_home(svc: Services) -> None:
    """Slack's Home tab shows the board, approvals and inbox: after a change, queue its
    republication, coalesced. While a refresh is queued and not yet started, later changes add
    nothing (it has not read the database yet, so it will show them); the refresh clears the
    flag before it reads, so a change committed after that read queues the next one."""
    if getattr(svc.senders.get(Platform.SLACK), "refresh_home", None) is None:
        return
    try:
        svc.queue.enqueue_once("refresh_home", flag=HOME_FLAG)
    except Exception as exc:  # a view, not a post: the next change queues it again
        log.warning("home tab refresh not queued (%s)", type(exc).__name__)


def refresh_home(flag: str | None = None) -> None:
    """The coalesced Home-tab refresh (`schedule_home`): flag cleared first, then read."""
    svc = current()
    if flag:
        svc.queue.clear_flag(flag)
    publish_home(svc)


def publish_home(svc: Services) -> None:
    """Republish the operators' Home tab from the views it shows (the sender skips an
    unchanged view). A failure is logged; the next change tries again."""
    sender = svc.senders.get(Platform.SLACK)
    refresh = getattr(sender, "refresh_home", None)
    if refresh is None:
        return
    names = getattr(sender, "home_views", None)
    try:
        with svc.db.session() as session:
            data = (
                dashboard(session, svc.features)
                if names is None
                else views(session, svc.features, names)
            )
        published = refresh(data)
        if published:
            with svc.db.session() as session:  # a click from the view is checked against these
                for user, (view_id, buttons) in published.items():
                    record_view(session, Platform.SLACK, user, view_id, buttons)
    except Exception as exc:  # the Home tab is a view: never fail the event for it
        log.warning("home tab not refreshed (%s)", type(exc).__name__)


def deliver(channel_key: str, flag: str | None = None) -> None:
    """Deliver what is due on one outbox channel."""
    svc = current()
    if flag:
        svc.queue.clear_flag(flag)
    deliver_channel(svc, channel_key)


def reconcile() -> None:
    reconciler.reconcile(current())


def deliver_webhook(approval_id: int, flag: str | None = None) -> None:
    """POST one approved action to ACTION_WEBHOOK_URL (once; retried with backoff)."""
    svc = current()
    if flag:
        svc.queue.clear_flag(flag)
    run_delivery(svc, approval_id)


def tool_effect(approval_id: int) -> None:
    """Call one approved MCP effect tool, once, and post its result (domains.tools)."""
    svc = current()
    deliver_channels(svc, sorted(run_effect(svc, approval_id)))
