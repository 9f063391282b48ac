"""People's display names for Slack events (`users.info`, cached in memory with a TTL).

Slack's message events carry only user ids, so a mirrored post, a card or the board would
show `U0123ABC`. Before an event is stored, its author's display name (profile display name,
else real name, else handle) is looked up once per hour per person, and `<@U…>` mentions in
its text become `@Name`. A lookup that fails or takes longer than `LOOKUP_TIMEOUT` leaves the
id (or the payload's own handle) in place and is not retried for `FAILURE_TTL`: Slack's
acknowledgement never waits on a struggling users.info.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from orchestrator.canonical import InboundEvent

__all__ = ["SlackNames", "display_name"]

log = logging.getLogger(__name__)

TTL = 3600.0  # seconds a known name is kept
FAILURE_TTL = 60.0  # seconds a failed lookup is not tried again
LOOKUP_TIMEOUT = 1.0  # seconds one users.info may take inside a request
MAX_LOOKUPS = 5  # distinct people looked up for one event (author first)
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|([^>]*))?>")


def display_name(user: dict[str, Any]) -> str | None:
    """What Slack shows for a member: display name, else real name, else handle."""
    found = user.get("profile")
    profile: dict[str, Any] = found if isinstance(found, dict) else {}
    for value in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"),
                  user.get("name")):  # fmt: skip
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


class SlackNames:
    def __init__(self) -> None:
        self._known: dict[str, tuple[float, str | None]] = {}  # user -> (expires, name)

    async def named(self, event: InboundEvent, client: AsyncWebClient | None) -> InboundEvent:
        """The event with its author's display name and its mentions as `@Name`."""
        if client is None:
            return event
        ids = [event.user, *dict.fromkeys(m[1] for m in _MENTION.finditer(event.text))]
        names = {u: await self.name_of(u, client) for u in ids[:MAX_LOOKUPS]}
        author = names.get(event.user) or event.user_name
        text = _MENTION.sub(lambda m: _mention(m, names), event.text)
        if author == event.user_name and text == event.text:
            return event
        return event.model_copy(update={"user_name": author, "text": text})

    async def name_of(self, user: str, client: AsyncWebClient) -> str | None:
        now = time.monotonic()
        cached = self._known.get(user)
        if cached is not None and cached[0] > now:
            return cached[1]
        name = await self._lookup(user, client)
        self._known[user] = (now + (TTL if name else FAILURE_TTL), name)
        return name

    async def _lookup(self, user: str, client: AsyncWebClient) -> str | None:
        try:
            response = await asyncio.wait_for(client.users_info(user=user), LOOKUP_TIMEOUT)
        except SlackApiError as exc:
            log.info("users.info %s: %s; the id is shown", user, exc.response.get("error"))
            return None
        except (TimeoutError, OSError) as exc:
            log.info("users.info %s: %s; the id is shown", user, type(exc).__name__)
            return None
        found = response.get("user")
        return display_name(found) if isinstance(found, dict) else None


def _mention(match: re.Match[str], names: dict[str, str | None]) -> str:
    name = names.get(match[1]) or (match[2] or "").strip() or match[1]
    return f"@{name}"
