"""HTTP routes of the local chat and dashboard (GET /, /api/chat/*, /api/dashboard).

`GET /api/chat/typed` (the lines typed here, for the page after a reload) and the `domains`
list in `/api/dashboard` (the page's channels) serve the page; the other routes are CONTRACT.

Every route is behind the guard (bot/web_guard.py): a client on this machine, or an operator
signed in with a `login` link; the web process also serves Slack and Telegram from the
internet, and the dashboard shows every domain's doc. Changes carry the CSRF token that
`GET /api/csrf` hands the page.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bot.intake import Intake
from bot.local import DM, local_click, local_event, sent_local_posts, typed_local_lines
from bot.web_guard import CSRF_COOKIE, SESSION_COOKIE, Guard, guard, secure
from orchestrator.charters import CharterSet
from orchestrator.dashboard import dashboard
from orchestrator.services import Services
from orchestrator.signin import revoke_session

this_machine_only = guard  # the guard's earlier name, kept for code written against it

router = APIRouter(dependencies=[Depends(guard)])
PAGE = Path(__file__).parent / "static" / "index.html"
MAX_ID = 2**63 - 1  # the largest id a database row can have (SQLite and BIGINT)


def services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services)]


class ChatIn(BaseModel):
    text: str = Field(min_length=1, max_length=40_000)
    channel: str = Field(DM, pattern=r"^local-[a-z0-9_-]{1,64}$")


class ClickIn(BaseModel):
    action: str = Field(pattern=r"^[a-z_]{1,24}$")
    value: str = Field(max_length=64)
    message: str = Field(max_length=255)
    channel: str = Field(DM, pattern=r"^local-[a-z0-9_-]{1,64}$")


@router.get("/", response_class=HTMLResponse)
async def page() -> HTMLResponse:
    return HTMLResponse(PAGE.read_text(encoding="utf-8"))


@router.get("/api/csrf")
async def csrf(viewer: Guard, request: Request) -> JSONResponse:
    """The token the page sends with every change; on this machine, kept in a cookie."""
    token = viewer.csrf or secrets.token_urlsafe(32)
    answer = JSONResponse({"csrf": token, "operator": viewer.identity})
    if viewer.identity is None and viewer.csrf is None:
        answer.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    answer.headers["Cache-Control"] = "no-store"
    return answer


@router.post("/logout")
async def logout(request: Request, svc: ServicesDep) -> JSONResponse:
    """Sign out: the session stops working at once and its cookie is cleared."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(_revoke, svc, token)
    answer = JSONResponse({"signed_out": bool(token)})
    answer.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="strict", secure=secure(request, svc.settings)
    )
    return answer


def _revoke(svc: Services, token: str) -> None:
    with svc.db.session() as s:
        revoke_session(s, token)


@router.post("/api/chat")
async def chat(body: ChatIn, svc: ServicesDep) -> dict[str, int | None]:
    event_id = await Intake(svc).accept_async(local_event(body.text, channel=body.channel))
    return {"event_id": event_id}


@router.post("/api/chat/click")
async def click(body: ClickIn, svc: ServicesDep) -> dict[str, int | None]:
    event = local_click(body.action, body.value, body.message, channel=body.channel)
    return {"event_id": await Intake(svc).accept_async(event)}


@router.get("/api/chat/messages")
async def messages(svc: ServicesDep, after: int = 0, limit: int = 200) -> dict[str, object]:
    if limit < 1 or limit > 1000 or after < 0 or after > MAX_ID:
        raise HTTPException(400, "after must be between 0 and 2^63-1 and limit between 1 and 1000")
    rows = await run_in_threadpool(sent_local_posts, svc.db, after=after, limit=limit)
    return {"messages": rows, "last": rows[-1]["id"] if rows else after}


@router.get("/api/chat/typed")
async def typed(svc: ServicesDep, limit: int = 200) -> dict[str, object]:
    """The lines typed here before (the page's own messages after a reload)."""
    if limit < 1 or limit > 1000:
        raise HTTPException(400, "limit must be between 1 and 1000")
    return {"lines": await run_in_threadpool(typed_local_lines, svc.db, limit=limit)}


@router.get("/api/dashboard")
async def dashboard_data(svc: ServicesDep) -> dict[str, object]:
    return await run_in_threadpool(dashboard_snapshot, svc)


def dashboard_snapshot(svc: Services) -> dict[str, Any]:
    """What `GET /api/dashboard` answers; the server-rendered pages (bot/web_dashboard.py)
    show the same data."""
    with svc.db.session() as s:
        data = dashboard(s, svc.features)
    data["domains"] = local_domains(svc.charters)
    return data


def local_domains(charters: CharterSet) -> list[dict[str, str]]:
    """Every charter's domain (one added by a file included) with its local chat channel,
    for the page's channel list."""
    return [
        {"name": n, "title": charters.get(n).title, "channel": f"local-{n}"}
        for n in charters.names()
    ]
