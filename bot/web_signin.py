"""Signing in from elsewhere with a one-time link (CONTRACT §6): `/login/<token>`.

`GET` shows whose link it is and a Sign in button (it uses nothing); `POST` (the button) uses
the link once, sets the session cookie (HttpOnly, SameSite=Strict, Secure under https) and
redirects to the dashboard. With no operators configured, nobody can sign in this way.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.signin_pages import confirm_page, refusal_page
from bot.web_guard import SESSION_COOKIE, host_allowed, origin_allowed, secure
from orchestrator.services import Services
from orchestrator.signin import SESSION_TTL, LinkState, WebSession, link_state, redeem_link

__all__ = ["router"]

router = APIRouter()
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


def _services(request: Request) -> Services:
    """The app's services, once the Host is this machine or PUBLIC_URL's host."""
    svc: Services = request.app.state.services
    if not host_allowed(request, svc.settings):
        raise HTTPException(403, "the dashboard answers only its own address (Host)")
    return svc


@router.get("/login/{token}", response_class=HTMLResponse)
async def confirm(token: str, request: Request) -> HTMLResponse:
    svc = _services(request)
    if not svc.settings.operators:
        return refusal_page(None)
    if not TOKEN.fullmatch(token):
        return refusal_page(LinkState.UNKNOWN)
    state, identity = await run_in_threadpool(_peek, svc, token)
    if state is LinkState.VALID and identity is not None:
        return confirm_page(identity)
    return refusal_page(state)


@router.post("/login/{token}")
async def sign_in(token: str, request: Request) -> Response:
    svc = _services(request)
    if not origin_allowed(request, svc.settings):
        raise HTTPException(403, "sign in from the link's own page (Origin)")
    if not svc.settings.operators:
        return refusal_page(None)
    if not TOKEN.fullmatch(token):
        return refusal_page(LinkState.UNKNOWN)
    opened = await run_in_threadpool(_redeem, svc, token)
    if not isinstance(opened, WebSession):
        return refusal_page(opened)
    answer = RedirectResponse("/", status_code=303)
    answer.set_cookie(
        SESSION_COOKIE,
        opened.token,
        max_age=int(SESSION_TTL.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure(request, svc.settings),
    )
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _peek(svc: Services, token: str) -> tuple[LinkState, str | None]:
    with svc.db.session() as s:
        return link_state(s, token, svc.settings.is_operator)


def _redeem(svc: Services, token: str) -> WebSession | LinkState:
    with svc.db.session() as s:
        return redeem_link(s, token, svc.settings.is_operator)
