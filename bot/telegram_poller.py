"""Long polling: fetch updates with getUpdates, store each batch, then move the offset on.

The offset sent with a getUpdates call confirms every earlier update to Telegram, so it only
moves past a batch once `store` has written the whole batch to the database. A crash between
fetch and store fetches the batch again, and the database's uniqueness drops the repeats.
Network errors are retried with exponential backoff and logged (never with the token).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import Bot
from telegram.error import TelegramError
from telegram.warnings import PTBUserWarning

from bot.telegram_client import redact
from bot.telegram_events import ALLOWED_UPDATES

log = logging.getLogger(__name__)

POLL_TIMEOUT = 25  # seconds Telegram holds a getUpdates call open
STALE_AFTER = POLL_TIMEOUT + 65.0  # no successful call for this long: report a problem
READ_MARGIN = 10.0  # seconds past the long poll before a read gives up
FAILING_AFTER = 3  # consecutive failed attempts before the loop reports a problem

Raw = dict[str, Any]  # one update as Telegram sent it
Store = Callable[[Sequence[Raw]], Awaitable[None]]


class Poller:
    def __init__(
        self,
        bot: Bot,
        store: Store,
        *,
        token: str,
        timeout: int = POLL_TIMEOUT,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
    ) -> None:
        self.bot = bot
        self.store = store
        self.token = token
        self.timeout = timeout
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.offset: int | None = None  # next update_id wanted; confirms all before it
        self.confirmed: int | None = None  # the offset Telegram has last been sent
        self.failures = 0
        self.last_error: str | None = None
        self.last_ok = time.monotonic()  # start counts as a success for staleness

    async def run(self) -> None:
        """Poll until cancelled."""
        while True:
            try:
                updates = await self._fetch()
                await self._store(updates)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # network, Telegram or database: back off and go on
                await self._failed(exc)
                continue
            if self.failures:
                log.info("telegram polling: working again after %d failures", self.failures)
            self.failures, self.last_error = 0, None

    async def _fetch(self) -> list[Raw]:
        """The next batch as JSON objects: `Bot.get_updates` parses the whole batch and fails
        it all (logging every message's text) when PTB cannot read one update, which would
        stall polling on it for good; the adapter parses each update on its own."""
        offset = self.offset
        kwargs = {"offset": offset, "timeout": self.timeout, "allowed_updates": ALLOWED_UPDATES}
        with warnings.catch_warnings():  # "use Bot.get_updates": on purpose, see above
            warnings.simplefilter("ignore", PTBUserWarning)
            result = await self.bot.do_api_request(
                "getUpdates", api_kwargs=kwargs, read_timeout=self.timeout + READ_MARGIN
            )
        self.confirmed = offset
        self.last_ok = time.monotonic()
        return [u for u in result if isinstance(u, dict)] if isinstance(result, list) else []

    async def _store(self, updates: Sequence[Raw]) -> None:
        ids = [u["update_id"] for u in updates if type(u.get("update_id")) is int]
        if not ids:
            return
        await self.store(updates)  # durable first; only then may the offset confirm them
        self.offset = max(ids) + 1

    async def _failed(self, exc: Exception) -> None:
        self.failures += 1
        text = exc.message if isinstance(exc, TelegramError) else str(exc)
        self.last_error = redact(f"{type(exc).__name__}: {text}", self.token)[:300]
        delay = self.delay(self.failures)
        log.warning(
            "telegram polling failed (%s, attempt %d); retrying in %.1fs",
            self.last_error,
            self.failures,
            delay,
        )
        await asyncio.sleep(delay)

    def delay(self, failures: int) -> float:
        """Exponential backoff with jitter: base, 2×base, 4×base, … capped."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** max(0, failures - 1))
        return random.uniform(0.5, 1.0) * ceiling

    async def confirm(self) -> None:
        """Tell Telegram the stored updates are done (on a clean stop; a no-op if it knows)."""
        if self.offset is None or self.offset == self.confirmed:
            return
        await self.bot.get_updates(offset=self.offset, timeout=0, limit=1)
        self.confirmed = self.offset

    def problems(self) -> list[str]:
        if self.failures >= FAILING_AFTER:
            return [f"telegram polling is failing ({self.failures} attempts): {self.last_error}"]
        if time.monotonic() - self.last_ok > STALE_AFTER:
            return ["telegram polling has not reached Telegram recently"]
        return []
