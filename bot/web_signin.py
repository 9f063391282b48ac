"""Signing in from elsewhere with a one-time link (CONTRACT §6): `/login/<token>`.

Opening the link uses it once, sets the session cookie (HttpOnly, SameSite=Strict, Secure under
https) and redirects to the dashboard; a second opening is refused. With no operators
configured, nobody can sign in this way. The DM that carries the link asks the platform for no
link preview, so a preview fetch does not use it up.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.signin_pages import refusal_page
from bot.web_guard import SESSION_COOKIE, host_allowed, secure
from orchestrator.services import Services
from orchestrator.signin import SESSION_TTL, LinkState, WebSession, redeem_link

__all__ = ["router"]

router = APIRouter()
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


def _services(request: Request) -> Services:
    """The app's services, once the Host is this machine or PUBLIC_URL's host."""
    svc: Services = request.app.state.services
    if not host_allowed(request, svc.settings):
        raise HTTPException(403, "the dashboard answers only its own address (Host)")
    return svc


@router.get("/login/{token}")
async def sign_in(token: str, request: Request) -> Response:
    """Use the link once: set the session cookie and go to the dashboard."""
    svc = _services(request)
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
    answer.headers["Referrer-Policy"] = "no-referrer"
    return answer


def _redeem(svc: Services, token: str) -> WebSession | LinkState:
    with svc.db.session() as s:
        return redeem_link(s, token, svc.settings.is_operator)
