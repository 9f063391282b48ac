"""Slack over HTTP (`POST /slack/events`) or Socket Mode, through one slack-bolt `AsyncApp`.

`handle` verifies the signature itself before anything parses the body (401: v0 HMAC over the
raw bytes, at most 5 minutes old), turns a body that is signed but unreadable into 400, and
only then dispatches. A plain Events API `message` event, the bulk of the traffic, is stored
straight away (`slack_listeners.accept_message`, the same translation, dedupe on Slack's
`event_id` and error answers as bolt's listener): bolt's dispatch (context, a Web API client
built per request, middleware, kwargs injection) was most of the edge's CPU a request. Every
other request goes through bolt: url_verification, ssl_check, slash commands, clicks, other
events, and messages that arrive before `auth.test` has said who the bot is.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.starlette.async_handler import (
    to_async_bolt_request,
    to_starlette_response,
)
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.error import BoltError
from slack_sdk.web.async_client import AsyncWebClient

from bot import slack_listeners
from bot.intake import Intake
from bot.slack_events import check_shape, plain_message, slack_kind
from bot.slack_identity import BotIdentity
from bot.slack_socket import SocketMode
from orchestrator.services import Services
from orchestrator.settings import require

log = logging.getLogger(__name__)

UNREADABLE = (
    UnicodeDecodeError, ValueError, TypeError, AttributeError, KeyError, IndexError,
    RecursionError, BoltError,
)  # fmt: skip
MAX_AGE = 60 * 5  # seconds a signed request stays valid (FACTS §1.2)


def signature_ok(secret: bytes, body: bytes, timestamp: str | None, signature: str | None) -> bool:
    """Slack's v0 HMAC-SHA256 over the raw body bytes, at most 5 minutes old (FACTS §1.2)."""
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    if abs(time.time() - int(timestamp)) > MAX_AGE:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


class _TokenNotice(logging.Filter):
    """bolt reads SLACK_BOT_TOKEN from the environment itself and then warns that the client
    given wins; it does, on purpose (the token comes from `authorize`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _quiet_bolt() -> None:
    bolt_log = logging.getLogger("slack_bolt.AsyncApp")
    if not any(isinstance(f, _TokenNotice) for f in bolt_log.filters):
        bolt_log.addFilter(_TokenNotice())


def _authorize_with(identity: BotIdentity) -> Callable[[], Awaitable[AuthorizeResult]]:
    """A plain function for bolt (it passes arguments by name and would not expect `self`)."""

    async def authorize() -> AuthorizeResult:
        return await identity.authorize()

    return authorize


class SlackAdapter:
    def __init__(self, services: Services) -> None:
        settings = services.settings
        require(settings, "SLACK_BOT_TOKEN")
        if settings.slack_app_token is None:
            require(settings, "SLACK_SIGNING_SECRET")
        assert settings.slack_bot_token is not None
        secret = settings.slack_signing_secret
        self._secret = secret.get_secret_value().encode() if secret else None
        token = settings.slack_bot_token.get_secret_value()
        self.identity = BotIdentity(
            AsyncWebClient(token=token, base_url=settings.slack_api_url), token
        )
        _quiet_bolt()
        self.app = AsyncApp(
            name="parallelos",
            client=AsyncWebClient(base_url=settings.slack_api_url),  # token from authorize
            authorize=_authorize_with(self.identity),
            signing_secret=secret.get_secret_value() if secret else "",
            process_before_response=True,
            raise_error_for_unhandled_request=True,
            # `handle` has verified the raw body already (and Socket Mode needs no signature):
            # bolt's own check would compute the same HMAC a second time on every request.
            request_verification_enabled=False,
        )
        self.skipped = services.skipped
        self.intake = Intake(services)
        slack_listeners.register(self.app, self.intake, self.skipped)
        self._warm_up: asyncio.Task[None] | None = None
        app_token = settings.slack_app_token
        self.socket = SocketMode(self.app, app_token.get_secret_value()) if app_token else None

    async def start(self, app: FastAPI) -> None:
        self._warm_up = asyncio.create_task(self.identity.warm_up())
        if self.socket is not None:
            await self.socket.start()
            log.info("slack: socket mode")
        else:
            log.info("slack: HTTP events at POST /slack/events")

    async def stop(self) -> None:
        if self._warm_up is not None:
            self._warm_up.cancel()
            await asyncio.gather(self._warm_up, return_exceptions=True)
        if self.socket is not None:
            await self.socket.stop()

    def problems(self) -> list[str]:
        socket = self.socket.problems() if self.socket is not None else []
        return self.identity.problems() + socket

    async def handle(self, request: Request) -> Response:
        """One signed request from Slack: an event, a click or a slash command.

        Never raises: an exception escaping to Starlette would make uvicorn drop the
        keep-alive connection (and the next request on it). A shape bolt chokes on beyond
        `check_shape` is answered 400 with `x-slack-no-retry`, like a malformed body."""
        body = await request.body()
        if not self._signed(body, request):
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        message = plain_message(body, request.headers.get("content-type"))
        bot = self.identity.result  # None until auth.test answered: bolt asks (or 503s)
        if message is not None and bot is not None:
            answer = await slack_listeners.accept_message(
                self.intake, self.skipped, message, bot_user_id=bot.bot_user_id
            )
            if answer is slack_listeners.ACCEPTED:  # the usual answer: an empty 200, built plainly
                return Response(status_code=200)
            return to_starlette_response(answer)
        return await self.through_bolt(request, body)

    async def through_bolt(self, request: Request, body: bytes) -> Response:
        """A signed request, dispatched by bolt (never raises, like `handle`)."""
        try:
            bolt_request = to_async_bolt_request(request, body)
        except UNREADABLE as exc:
            return self._refused(exc, None)
        try:
            check_shape(bolt_request.body)
        except UNREADABLE as exc:
            return self._refused(exc, bolt_request.body)
        try:
            return to_starlette_response(await self.app.async_dispatch(bolt_request))
        except Exception as exc:  # raised inside bolt, before or around our listeners
            return self._refused(exc, bolt_request.body)

    def _refused(self, exc: BaseException, body: object) -> Response:
        """400 + no-retry for a signed request nothing can use; counted, logged once (the
        kind and Slack's id, never text)."""
        kind, ident = slack_kind(body)
        self.skipped.skip("slack", f"malformed ({type(exc).__name__})", delivery=ident, kind=kind)
        return to_starlette_response(slack_listeners.malformed())

    def _signed(self, body: bytes, request: Request) -> bool:
        if self._secret is None:  # Socket Mode only: nothing may come in over HTTP
            return False
        headers = request.headers
        return signature_ok(
            self._secret,
            body,
            headers.get("x-slack-request-timestamp"),
            headers.get("x-slack-signature"),
        )
