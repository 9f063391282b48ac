"""The server-rendered dashboard (CONTRACT §6): GET /dashboard and GET /dashboard/<domain>.

Jinja2 templates (bot/templates/, one partial per feature's view) over the same data as
`GET /api/dashboard` (`bot.web_local.dashboard_snapshot`, built in-process): no queries of its
own. The live part of each page is a fragment (`?part=live`), fetched again when the page's
server-sent event stream (bot/web_live.py) says something changed, or every second while the
stream is down. htmx is vendored in bot/static/vendor/, no CDN. Every button (Approve, Reject,
Accept, Done, Decline, Snooze) posts to the existing `POST /api/chat/click`, the one way to
decide, with the page's CSRF token. Every route here is behind the web guard.

The event log (`/dashboard/events`) and the stream (`/dashboard/stream`) are routed before
`/dashboard/<domain>` (bot/web.py), so those two words are not domain pages.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from bot.web_guard import CSRF_COOKIE, Guard, Viewer, guard
from bot.web_local import ServicesDep, dashboard_snapshot
from orchestrator.charters import HUB
from orchestrator.dashboard import change_mark
from orchestrator.services import Services

__all__ = ["render", "router", "templates"]

router = APIRouter(dependencies=[Depends(guard)])
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
ASSETS = {
    "htmx.min.js": HERE / "static" / "vendor" / "htmx.min.js",
    "dashboard.css": HERE / "static" / "dashboard.css",
    "dashboard.js": HERE / "static" / "dashboard.js",
}
STATUS_KINDS = ("status.changed",)


@router.get("/dashboard/assets/{name}")
async def asset(name: str) -> FileResponse:
    path = ASSETS.get(name)
    if path is None:
        raise HTTPException(404, "no such asset")
    return FileResponse(path, headers={"Cache-Control": "max-age=3600"})


@router.get("/dashboard", response_class=HTMLResponse)
async def board_page(request: Request, viewer: Guard, svc: ServicesDep, part: str = "") -> Response:
    mark, data = await run_in_threadpool(marked_snapshot, svc)
    context = {"data": data, "domains": _domains(data), "operator": viewer.identity,
               "mark": mark, **_board_view(data)}  # fmt: skip
    return render(request, viewer, "board.html", context, part)


@router.get("/dashboard/{domain}", response_class=HTMLResponse)
async def domain_page(
    request: Request, domain: str, viewer: Guard, svc: ServicesDep, part: str = ""
) -> Response:
    mark, data = await run_in_threadpool(marked_snapshot, svc)
    if domain not in _domains(data):
        raise HTTPException(404, f"no domain named {domain!r}")
    context = {"data": data, "domain": domain, "mark": mark, **_domain_view(data, domain)}
    return render(request, viewer, "domain.html", context, part)


def marked_snapshot(svc: Services) -> tuple[str, dict[str, Any]]:
    """The change mark, read first (a change made while the page is built still refreshes it),
    and the dashboard's data."""
    with svc.db.session() as s:
        mark = change_mark(s)
    return mark, dashboard_snapshot(svc)


def render(
    request: Request, viewer: Viewer, name: str, context: dict[str, Any], part: str = ""
) -> Response:
    """The whole page, or (`part=live`) only its live fragment; issues the CSRF cookie as
    `GET /api/csrf` does when this machine's browser has none yet."""
    token = viewer.csrf or secrets.token_urlsafe(32)
    template = "live_" + name if part == "live" else name
    answer = templates.TemplateResponse(request, template, {**context, "csrf": token})
    if viewer.identity is None and viewer.csrf is None:
        answer.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="strict",
            secure=request.url.scheme == "https",
        )  # fmt: skip
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _domains(data: dict[str, Any]) -> list[str]:
    return [row["domain"] for row in data.get("board", [])]


def _mine(items: Any, domain: str, key: str = "domain") -> list[dict[str, Any]]:
    return [i for i in items or [] if isinstance(i, dict) and i.get(key) == domain]


def _board_view(data: dict[str, Any]) -> dict[str, Any]:
    """The board's sections: every domain's open items, briefs, cost and charter versions."""
    return {
        "inbox": data.get("inbox") or [],
        "reminders": data.get("reminders") or [],
        "briefs": data.get("brief schedule") or [],
        "cost": data.get("agents") or [],
        "charters": data.get("charters") or [],
        "titles": {r["domain"]: r["title"] for r in data.get("board", [])} | {HUB: "Hub"},
    }


def _domain_view(data: dict[str, Any], domain: str) -> dict[str, Any]:
    events = _mine(data.get("events"), domain)
    return {
        "row": next(r for r in data["board"] if r["domain"] == domain),
        "doc": (data.get("status") or {}).get(domain) or {},
        "history": [e for e in events if e["kind"] in STATUS_KINDS],
        "events": events,
        "inbox": _mine(data.get("inbox"), domain, "to"),
        "approvals": _mine(data.get("approvals"), domain),
        "reminders": _mine(data.get("reminders"), domain),
        "briefs": _mine(data.get("brief schedule"), domain),
        "cost": _mine(data.get("agents"), domain),
        "charters": _mine(data.get("charters"), domain),
        "titles": {domain: next(r["title"] for r in data["board"] if r["domain"] == domain)},
    }
