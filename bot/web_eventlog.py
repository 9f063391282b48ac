"""The event log page: GET /dashboard/events, filterable by domain, kind and time, paginated.

Filters are query parameters, so a filtered view is a link: `domain`, `kind` (exact, or a
prefix ending in `.` such as `inbox.`), `since` and `until` (`YYYY-MM-DD` or
`YYYY-MM-DDTHH:MM`, as a date-time input sends them, in PARALLELOS_TIMEZONE), and `before` (the
page: events older than that id). A bad value is a 400 that says which and how it should look.
The first page is live (bot/web_live.py); older pages stay put while they are read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.web_dashboard import render
from bot.web_guard import Guard, guard
from bot.web_local import ServicesDep
from orchestrator.charters import HUB
from orchestrator.dashboard import EventQuery, change_mark, event_kinds, event_log
from orchestrator.services import Services

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(guard)])
MAX_ID = 2**63 - 1
TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")
MAX_KIND = 64


@router.get("/dashboard/events", response_class=HTMLResponse)
async def events_page(
    request: Request,
    viewer: Guard,
    svc: ServicesDep,
    domain: str = "",
    kind: str = "",
    since: str = "",
    until: str = "",
    before: int | None = None,
    part: str = "",
) -> Response:
    zone = svc.settings.zone
    domains = [*svc.charters.names(), HUB]
    if domain and domain not in domains:
        raise HTTPException(400, f"domain must be one of: {', '.join(domains)}")
    if len(kind) > MAX_KIND:
        raise HTTPException(400, f"kind must be at most {MAX_KIND} characters")
    if before is not None and not 1 <= before <= MAX_ID:
        raise HTTPException(400, "before must be a positive event id")
    query = EventQuery(
        domain=domain or None, kind=kind or None, before=before,
        since=_utc(since, zone, "since"), until=_utc(until, zone, "until"),
    )  # fmt: skip
    found = await run_in_threadpool(_page, svc, query)
    filters = {"domain": domain, "kind": kind, "since": since, "until": until}
    kept = {k: v for k, v in filters.items() if v}
    links = {
        "live_url": _link({**kept, "part": "live"}),
        "newest_url": _link(kept),
        "older_url": _link({**kept, "before": found["older"]}) if found["older"] else None,
    }
    context = {"domains": domains, "filters": filters, "before": before, "zone": str(zone),
               **found, **links}  # fmt: skip
    return render(request, viewer, "events.html", context, part)


def _link(params: dict[str, Any]) -> str:
    return "/dashboard/events" + ("?" + urlencode(params) if params else "")


def _page(svc: Services, query: EventQuery) -> dict[str, Any]:
    with svc.db.session() as s:
        mark = change_mark(s)
        rows, older = event_log(s, query)
        return {"rows": rows, "older": older, "kinds": event_kinds(s), "mark": mark}


def _utc(value: str, zone: ZoneInfo, name: str) -> datetime | None:
    """A local date or date-time as naive UTC, or a 400 naming the parameter."""
    if not value:
        return None
    for fmt in TIME_FORMATS:
        try:
            local = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
    raise HTTPException(400, f"{name} must look like 2026-12-02 or 2026-12-02T09:30")
