"""Who the bot is in Slack (auth.test, asked once) as bolt's `authorize` function.

bolt's built-in single-team authorization answers a failed auth.test with a 200 "please
install" page, so an event arriving while Slack hiccups would be acknowledged and lost. Here a
failure raises `SlackUnavailable` instead: the request gets 503 and Slack delivers it again.
"""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

REFUSALS = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}


class SlackUnavailable(RuntimeError):
    """auth.test did not answer: the request cannot be handled now."""


class BotIdentity:
    def __init__(self, client: AsyncWebClient, token: str) -> None:
        self.client = client  # carries the bot token
        self.token = token
        self.result: AuthorizeResult | None = None
        self.refused: str | None = None  # Slack's error when it rejected the token
        self._lock: asyncio.Lock | None = None

    async def authorize(self) -> AuthorizeResult:
        """bolt's `authorize`: the cached auth.test result, asked for on first use."""
        if self.result is not None:
            return self.result
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if self.result is None:
                self.result = await self._auth_test()
        return self.result

    async def warm_up(self) -> None:
        """Ask once at start, so the first event does not wait (failures are retried later)."""
        try:
            who = await self.authorize()
            log.info("slack: connected as %s in %s", who.bot_user_id, who.team_id)
        except Exception as exc:
            log.warning("slack auth.test failed at start (%s); retried on the next event", exc)

    def problems(self) -> list[str]:
        return [f"slack refused the bot token ({self.refused})"] if self.refused else []

    async def _auth_test(self) -> AuthorizeResult:
        try:
            response = await self.client.auth_test()
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            if error in REFUSALS:
                self.refused = error
            raise SlackUnavailable(f"slack auth.test: {error}") from None
        except (TimeoutError, OSError) as exc:
            raise SlackUnavailable(f"slack auth.test: {type(exc).__name__}") from None
        self.refused = None
        return AuthorizeResult.from_auth_test_response(
            auth_test_response=response, bot_token=self.token
        )
