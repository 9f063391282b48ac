"""The web process: FastAPI app with Slack, Telegram and local-chat routes (CONTRACT §4).

`create_app` is the whole web process over a `Services`; `bot.app` (the Procfile's entry
point) hands it the composition root's builder. Nothing touches settings, the database or the
network at import; the lifespan builds the services and starts the platform connections.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import redis
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from bot import web_dashboard, web_eventlog, web_live, web_local, web_metrics, web_signin
from bot.limits import BodyLimit
from bot.platforms import Platforms
from bot.web_setup import BackgroundSetup
from bot.web_startup import announce, quiet_polling
from orchestrator.services import Services
from orchestrator.settings import SettingsError

log = logging.getLogger(__name__)


def create_app(
    services: Services | None = None,
    *,
    build: Callable[[], Services] | None = None,
    provision: bool | None = None,
) -> FastAPI:
    """The web app over `services`, or over what `build` makes when the process starts.

    `provision`: find or create every domain's channel and topic in the background on start;
    by default the web process itself does (`build`), an embedding caller opts in.
    """
    provision = services is None if provision is None else provision

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            if services is not None:
                svc = services
            elif build is not None:
                svc = build()
            else:
                raise SettingsError("the web app needs its services (see parallelos.wiring)")
            app.state.services = svc
            platforms = Platforms(svc)
            app.state.platforms = platforms
            await platforms.start(app)
            setup = BackgroundSetup(svc)
            app.state.setup = setup
            if provision:
                setup.start()
            quiet_polling()
            announce(svc.settings)
            # What start-up built lives as long as the process: out of the collector's sight, a
            # full collection under load walks only what requests made (it walked ~160,000
            # objects, ~100 ms, stalling every request in flight: the ack's p99).
            gc.freeze()
        except SettingsError as exc:
            if services is not None:
                raise  # an embedding caller (tests) handles it
            # The web process itself: one line naming the setting, no traceback (CONTRACT §3).
            print(f"parallelos web: {exc}", file=sys.stderr, flush=True)
            os._exit(2)
        try:
            yield
        finally:
            setup.stop()
            await platforms.stop()

    # No OpenAPI document or docs UI: nothing public should describe the local API.
    app = FastAPI(
        title="ParallelOS", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None
    )
    app.add_middleware(BodyLimit)

    async def slack_events(request: Request) -> Response:
        adapter = request.app.state.platforms.slack
        if adapter is None:
            # No signing secret here: no request can be authenticated.
            return JSONResponse({"error": "slack is not configured"}, status_code=401)
        return await adapter.handle(request)

    # A plain Starlette route: the adapter reads the raw request itself, so FastAPI's
    # parameter solving (query string, cookies, response headers) would be work for nothing
    # on the busiest endpoint. First of the routes: every Slack request would otherwise be
    # matched against each dashboard route before its own.
    app.add_route("/slack/events", slack_events, methods=["POST"])

    app.include_router(web_local.router)
    app.include_router(web_live.router)  # before /dashboard/<domain>: /dashboard/stream
    app.include_router(web_eventlog.router)  # ... and /dashboard/events
    app.include_router(web_dashboard.router)
    app.include_router(web_metrics.router)
    app.include_router(web_signin.router)
    app.add_exception_handler(RequestValidationError, _bad_request)
    app.add_exception_handler(Exception, _server_error)

    @app.post("/telegram/webhook")
    async def telegram_webhook(request: Request) -> Response:
        adapter = request.app.state.platforms.telegram
        if adapter is None:
            return JSONResponse({"error": "telegram is not configured"}, status_code=401)
        return await adapter.handle(request)

    @app.get("/healthz")
    async def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        problems = await run_in_threadpool(_readiness, request.app)
        status = 503 if problems else 200
        return JSONResponse({"ready": not problems, "problems": problems}, status_code=status)

    return app


def _readiness(app: FastAPI) -> list[str]:
    svc: Services = app.state.services
    problems = []
    try:
        svc.db.ping()
    except Exception:
        problems.append("database is not answering")
    if not _redis_answers(svc):
        inline = " (jobs are running in-process)" if svc.queue.in_process else ""
        problems.append(f"redis is not answering{inline}")
    problems.extend(app.state.platforms.problems())
    return problems


def _redis_answers(svc: Services) -> bool:
    """REDIS_URL answers a ping, checked even when jobs fell back to running in-process."""
    if not svc.queue.in_process:
        return svc.queue.ping()
    try:
        conn = redis.Redis.from_url(svc.settings.redis_url, socket_connect_timeout=2)
        try:
            return bool(conn.ping())
        finally:
            conn.close()
    except (redis.RedisError, ValueError):
        return False


async def _bad_request(request: Request, exc: Exception) -> JSONResponse:
    """400, with what was wrong in words (`detail`) for the chat page to show at the message;
    the input itself is never echoed."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = "; ".join(_problem(e) for e in errors[:3]) or "the request could not be read"
    return JSONResponse({"error": "bad request", "detail": detail}, status_code=400)


def _problem(error: Any) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
    message = str(error.get("msg", "invalid"))
    return f"{where}: {message}" if where else message


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path)
    return JSONResponse({"error": "internal error"}, status_code=500)
