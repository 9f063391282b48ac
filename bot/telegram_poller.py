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
from collections.abc import Awaitable, Callable, Sequence

from telegram import Bot, Update
from telegram.error import TelegramError

from bot.telegram_client import redact
from bot.telegram_events import ALLOWED_UPDATES

log = logging.getLogger(__name__)

POLL_TIMEOUT = 25  # seconds Telegram holds a getUpdates call open
STALE_AFTER = POLL_TIMEOUT + 65.0  # no successful call for this long: report a problem
FAILING_AFTER = 3  # consecutive failed attempts before the loop reports a problem

Store = Callable[[Sequence[Update]], Awaitable[None]]


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

    async def _fetch(self) -> tuple[Update, ...]:
        offset = self.offset
        updates = await self.bot.get_updates(
            offset=offset, timeout=self.timeout, allowed_updates=list(ALLOWED_UPDATES)
        )
        self.confirmed = offset
        self.last_ok = time.monotonic()
        return updates

    async def _store(self, updates: Sequence[Update]) -> None:
        if not updates:
            return
        await self.store(updates)  # durable first; only then may the offset confirm them
        self.offset = max(u.update_id for u in updates) + 1

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
