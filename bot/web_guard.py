"""Who may open the local chat, the dashboard (and /metrics): the one guard (CONTRACT §6).

Two ways in:
- a client on this machine (bot/this_machine.py: Host, Origin, peer address), or
- an operator signed in from elsewhere: a live session cookie (orchestrator.signin) whose
  operator is still in PARALLELOS_OPERATORS, with a Host that is this machine or PUBLIC_URL's
  host (so a rebound name is still refused), and a changing request's Origin one of those.

Either way, a request that changes something (POST, PUT, PATCH, DELETE) carries the CSRF
token in the `X-CSRF-Token` header or is refused: a signed-in session's token is kept with
the session; on this machine it is a random value in an HttpOnly cookie, handed to the page
by `GET /api/csrf`. A page elsewhere can neither read it nor send the header cross-origin.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from bot.this_machine import SAFE_METHODS, is_local_host, is_local_origin, refusal
from orchestrator.db import Database
from orchestrator.settings import Settings
from orchestrator.signin import WebSession, signed_in

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "Guard",
    "Viewer",
    "guard",
    "host_allowed",
    "origin_allowed",
    "secure",
]

SESSION_COOKIE = "pos_session"
CSRF_COOKIE = "pos_csrf"
CSRF_HEADER = "x-csrf-token"
MIN_TOKEN = 32  # a local CSRF cookie shorter than this was not made by us
SIGN_IN_HINT = "; an operator elsewhere signs in with the link the `login` command sends"
CSRF_REFUSED = "missing or wrong CSRF token (reload the page)"


@dataclass(frozen=True)
class Viewer:
    """Who is looking: an operator signed in from elsewhere, or (identity None) this machine."""

    identity: str | None
    csrf: str | None  # the token a changing request must carry; None: none issued yet


async def guard(request: Request) -> Viewer:
    """Dependency for every page and API of the local chat and dashboard (and /metrics)."""
    svc = request.app.state.services
    viewer = await _signed_in_viewer(request, svc.settings, svc.db)
    if viewer is None:
        reason = refusal(request, svc.settings.trusted_proxies)
        if reason is not None:
            raise HTTPException(403, reason + SIGN_IN_HINT)
        viewer = Viewer(identity=None, csrf=_local_csrf(request))
    if request.method not in SAFE_METHODS:
        _check_csrf(request, viewer.csrf)
    return viewer


Guard = Annotated[Viewer, Depends(guard)]


async def _signed_in_viewer(request: Request, settings: Settings, db: Database) -> Viewer | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or not settings.operators:
        return None
    found = await run_in_threadpool(_lookup, db, token)
    if found is None or not settings.is_operator(found.identity):
        return None
    if not host_allowed(request, settings):
        raise HTTPException(403, "the dashboard answers only its own address (Host)")
    if request.method not in SAFE_METHODS and not origin_allowed(request, settings):
        raise HTTPException(403, "the dashboard takes changes only from its own page (Origin)")
    return Viewer(identity=found.identity, csrf=found.csrf)


def _lookup(db: Database, token: str) -> WebSession | None:
    with db.session() as s:
        return signed_in(s, token)


def _local_csrf(request: Request) -> str | None:
    token = request.cookies.get(CSRF_COOKIE)
    return token if token and len(token) >= MIN_TOKEN else None


def _check_csrf(request: Request, expected: str | None) -> None:
    sent = request.headers.get(CSRF_HEADER, "")
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, CSRF_REFUSED)


def origin_allowed(request: Request, settings: Settings) -> bool:
    """No Origin (not a browser's cross-site request), or this machine's, or PUBLIC_URL's."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return is_local_origin(origin) or origin.lower() == public_origin(settings)


def public_origin(settings: Settings) -> str | None:
    """PUBLIC_URL's scheme and host (`https://pos.example.com`), lower case; None unset."""
    if settings.public_url is None:
        return None
    parts = urlsplit(settings.public_url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def host_allowed(request: Request, settings: Settings) -> bool:
    """The Host names this machine or PUBLIC_URL's host (default port written or not)."""
    host = request.headers.get("host", "").lower()
    if is_local_host(host):
        return True
    if settings.public_url is None:
        return False
    parts = urlsplit(settings.public_url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    names = {parts.netloc.lower()}
    if parts.port is None and default is not None:
        names.add(f"{parts.netloc.lower()}:{default}")
    return host in names


def secure(request: Request, settings: Settings) -> bool:
    """Cookies are `Secure` under https: PUBLIC_URL's scheme, or this request's."""
    public = settings.public_url or ""
    return public.startswith("https://") or request.url.scheme == "https"
