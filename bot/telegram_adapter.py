"""The Telegram edge of the web process: webhook route, or long polling without PUBLIC_URL.

Every update goes the same way: translate (bot.telegram_events), then `Intake` stores and
queues it before Telegram gets its answer (or before the polling offset moves past it). A
click that leads nowhere (a stranger's, a repeat, an unknown button) is answered here, with no
text, so the user's button never spins; other clicks are answered by the orchestrator.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import random
from collections.abc import Coroutine, Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from telegram import Update
from telegram.error import InvalidToken, TelegramError

from bot import telegram_client as client
from bot.intake import Intake
from bot.telegram_events import ALLOWED_UPDATES, BotIdentity, callback_id, to_event
from bot.telegram_poller import Poller
from bot.telegram_setup import bot_commands
from orchestrator.canonical import InboundEvent
from orchestrator.ingest import Unstorable
from orchestrator.services import Services
from orchestrator.settings import SettingsError

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
START_TIMEOUT = 15.0  # seconds start-up waits for Telegram before retrying in the background
SETUP_RETRY_CAP = 300.0


class TelegramAdapter:
    def __init__(self, services: Services, *, poll_backoff: float = 1.0) -> None:
        self.svc = services
        settings = services.settings
        self.token = client.token_of(settings)
        client.check_webhook_settings(settings)
        secret = settings.telegram_webhook_secret
        self.secret = secret.get_secret_value().encode() if secret else None
        self.public_url = settings.public_url
        self.bot = client.make_bot(settings)
        self.me = BotIdentity.from_token(self.token)
        self.intake = Intake(services)
        self.poller: Poller | None = None
        if self.public_url is None:
            self.poller = Poller(self.bot, self.store, token=self.token, backoff_base=poll_backoff)
        self.ready = False  # getMe, commands and webhook/polling mode are set up
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self, app: FastAPI) -> None:
        """Set the bot up (a refused token stops start-up); then poll, or wait for webhooks."""
        try:
            await asyncio.wait_for(self._setup(), START_TIMEOUT)
        except InvalidToken:
            raise SettingsError(
                "setting TELEGRAM_BOT_TOKEN is invalid: Telegram refused it (ask @BotFather)"
            ) from None
        except (TelegramError, TimeoutError) as exc:
            log.warning("telegram set-up failed (%s); retrying in the background", self._safe(exc))
        self._task = asyncio.create_task(self._run(), name="telegram")
        self._task.add_done_callback(_report_end)

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._pending) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.poller is not None:
            try:
                await asyncio.wait_for(self.poller.confirm(), 5.0)
            except (TelegramError, TimeoutError) as exc:
                log.info("telegram: could not confirm the last updates (%s)", self._safe(exc))
        await self.bot.shutdown()

    def problems(self) -> list[str]:
        if self._loop_died():
            return ["telegram: the update loop stopped"]
        if not self.ready:
            return ["telegram: not set up yet (getMe/setMyCommands/webhook failing)"]
        return self.poller.problems() if self.poller is not None else []

    def _loop_died(self) -> bool:
        """The background task ended by an error (or, when polling, at all)."""
        task = self._task
        if task is None or not task.done() or task.cancelled():
            return False
        return task.exception() is not None or self.poller is not None

    async def _run(self) -> None:
        attempt = 0
        while not self.ready:
            attempt += 1
            await asyncio.sleep(random.uniform(0.5, 1.0) * min(SETUP_RETRY_CAP, 2.0**attempt))
            try:
                await self._setup()
            except TelegramError as exc:
                log.warning("telegram set-up failed again (%s)", self._safe(exc))
        if self.poller is not None:
            await self.poller.run()

    async def _setup(self) -> None:
        await self.bot.initialize()
        self.me = BotIdentity(self.bot.id, self.bot.username)
        await self.bot.set_my_commands(bot_commands())
        if self.public_url is None:
            await self.bot.delete_webhook()
            log.info("telegram: long polling as @%s", self.me.username)
        else:
            await self.bot.set_webhook(
                url=self.public_url + WEBHOOK_PATH,
                secret_token=self.secret.decode() if self.secret else None,
                allowed_updates=list(ALLOWED_UPDATES),
            )
            if self.secret is None:
                log.warning("telegram webhook without TELEGRAM_WEBHOOK_SECRET: anyone may post")
            log.info("telegram: webhook at %s%s", self.public_url, WEBHOOK_PATH)
        self.ready = True

    # -- updates ------------------------------------------------------------------------
    async def handle(self, request: Request) -> Response:
        """POST /telegram/webhook: secret, JSON, durable store, then 200."""
        if self.secret is not None:
            given = request.headers.get(SECRET_HEADER, "").encode()
            if not hmac.compare_digest(given, self.secret):
                return JSONResponse({"error": "invalid secret token"}, status_code=401)
        elif self.poller is not None:
            # Long polling and no secret: nothing could tell Telegram's posts from forgeries.
            return JSONResponse(
                {"error": "webhook not in use: set TELEGRAM_WEBHOOK_SECRET"}, status_code=403
            )
        data = read_object(await request.body())
        if data is None:
            return JSONResponse({"error": "malformed update"}, status_code=400)
        update = self.parse(data)
        if update is None:  # genuine (the secret matched) but unusable: 200, or it comes back
            return JSONResponse({"ok": True})
        try:
            await self.ingest(update)
        except Unstorable as exc:  # e.g. an id longer than its column: never stored
            self._skip(update.update_id, update_kind(data), f"unstorable ({exc})")
        except Exception as exc:  # the database is down: not acknowledged, Telegram retries
            log.warning("telegram update %s not stored: %s", update.update_id, type(exc).__name__)
            return JSONResponse({"error": "try again later"}, status_code=503)
        return JSONResponse({"ok": True})

    def parse(self, data: dict[str, Any]) -> Update | None:
        """The update in a genuine body, or None (counted and logged) when PTB cannot read it:
        Telegram sends shapes newer or older than the installed PTB knows (a Bot API field
        made required, a doc example without `is_bot`), and a 400 would make it redeliver
        the update for a day while holding the chat's later updates back."""
        update_id = data.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            self._skip(None, update_kind(data), "no integer update_id")
            return None
        try:
            return Update.de_json(data, None)
        except Exception as exc:
            self._skip(update_id, update_kind(data), f"unreadable by PTB ({type(exc).__name__})")
            return None

    def _skip(self, update_id: int | None, kind: str, reason: str) -> None:
        self.svc.skipped.skip("telegram", reason, delivery=update_id, kind=kind)

    async def store(self, updates: Sequence[Update | dict[str, Any]]) -> None:
        """A polled batch, in order; raises (and the offset stays) if any cannot be stored
        now. One the database can never keep, or PTB cannot read, is counted and passed over."""
        for item in updates:
            update = self.parse(item) if isinstance(item, dict) else item
            if update is None:
                continue
            try:
                await self.ingest(update)
            except Unstorable as exc:
                self._skip(update.update_id, "update", f"unstorable ({exc})")

    async def ingest(self, update: Update) -> None:
        """Store one update (raises only when it cannot be stored, e.g. the database is down)."""
        event = self._translate(update)
        stored = await self.intake.accept_async(event) if event is not None else None
        query = callback_id(update)
        if stored is None and query is not None:
            self._spawn(self._dismiss(query))

    def _translate(self, update: Update) -> InboundEvent | None:
        """Never raises: an update we cannot read is logged and skipped, not retried forever."""
        try:
            event = to_event(update, self.me)
        except Exception as exc:
            self._skip(update.update_id, "update", f"untranslatable ({type(exc).__name__})")
            return None
        if event is None and not _ours(update):  # a channel post, a business message...
            self.svc.skipped.skip("telegram", "unused kind", delivery=update.update_id,
                                  kind=update_kind(update.to_dict()), level=logging.INFO)  # fmt: skip
        return event

    async def _dismiss(self, query: str) -> None:
        """Answer a click nobody else will answer (no text: the spinner just stops)."""
        try:
            await self.bot.answer_callback_query(query)
        except TelegramError as exc:
            log.info("telegram: callback %s not answered (%s)", query, self._safe(exc))

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _safe(self, exc: BaseException) -> str:
        text = exc.message if isinstance(exc, TelegramError) else str(exc)
        return client.redact(f"{type(exc).__name__}: {text}", self.token)


def _report_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("telegram: the update loop died: %s", type(task.exception()).__name__)


def _ours(update: Update) -> bool:
    """An update of a kind the bot asks for (its None is a bot's post or a service message)."""
    return any(getattr(update, kind, None) is not None for kind in ALLOWED_UPDATES)


def read_object(body: bytes) -> dict[str, Any] | None:
    """The JSON object in a webhook body, or None when the body is not one (400)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # not JSON (or not UTF-8), or absurdly nested
        return None
    return data if isinstance(data, dict) else None


def update_kind(data: dict[str, Any]) -> str:
    """What an update carries (`message`, `business_message`…), for the log: the first key
    besides `update_id`, cut short (it is data, not text we trust)."""
    kind = next((k for k in data if k != "update_id"), "nothing")
    return kind[:40] if kind.isidentifier() else "unknown"
