"""People's display names for Slack events (`users.info`, cached in memory with a TTL).

Slack's message events carry only user ids, so a mirrored post, a card or the board would
show `U0123ABC`. When a worker handles an event (`orchestrator.people`), its author's display
name (profile display name, else real name, else handle) is looked up once per hour per
person, and `<@U…>` mentions in its text become `@Name`. This runs on the worker's side, never
inside Slack's request: the acknowledgement does not wait for users.info. A lookup that fails
or takes longer than `LOOKUP_TIMEOUT` leaves the id (or the payload's own handle) in place and
is not retried for `FAILURE_TTL`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack_pool import PooledWebClient
from orchestrator.canonical import InboundEvent, Platform

__all__ = ["SlackNames", "display_name"]

log = logging.getLogger(__name__)

TTL = 3600.0  # seconds a known name is kept
FAILURE_TTL = 60.0  # seconds a failed lookup is not tried again
LOOKUP_TIMEOUT = 2  # seconds one users.info may take (the HTTP client's timeout)
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


def lookup_client(client: WebClient) -> WebClient:
    """A client like `client` (same token and API address) with the lookup's short timeout;
    a pooled one shares `client`'s loop thread (its own session: its own timeout)."""
    if isinstance(client, PooledWebClient):
        return PooledWebClient(token=client.token, base_url=client.base_url,
                               timeout=LOOKUP_TIMEOUT, transport=client.transport)  # fmt: skip
    return WebClient(
        token=client.token, base_url=client.base_url, timeout=LOOKUP_TIMEOUT, retry_handlers=[]
    )


class SlackNames:
    """`orchestrator.people.Names` for Slack; safe to share between a process's job threads."""

    def __init__(self, client: WebClient, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.clock = clock
        self._known: dict[str, tuple[float, str | None]] = {}  # user -> (expires, name)
        self._lock = threading.Lock()

    def named(self, event: InboundEvent) -> InboundEvent:
        """The event with its author's display name and its mentions as `@Name`."""
        if event.platform is not Platform.SLACK:
            return event
        ids = [event.user, *dict.fromkeys(m[1] for m in _MENTION.finditer(event.text))]
        names = {u: self.name_of(u) for u in ids[:MAX_LOOKUPS]}
        author = names.get(event.user) or event.user_name
        text = _MENTION.sub(lambda m: _mention(m, names), event.text)
        if author == event.user_name and text == event.text:
            return event
        return event.model_copy(update={"user_name": author, "text": text})

    def name_of(self, user: str) -> str | None:
        now = self.clock()
        with self._lock:
            cached = self._known.get(user)
        if cached is not None and cached[0] > now:
            return cached[1]
        name = self._lookup(user)
        with self._lock:
            self._known[user] = (now + (TTL if name else FAILURE_TTL), name)
        return name

    def _lookup(self, user: str) -> str | None:
        try:
            response = self.client.users_info(user=user)
        except SlackApiError as exc:
            log.info("users.info %s: %s; the id is shown", user, exc.response.get("error"))
            return None
        except (SlackClientError, OSError, aiohttp.ClientError) as exc:  # timeouts, refused
            log.info("users.info %s: %s; the id is shown", user, type(exc).__name__)
            return None
        found = response.get("user")
        return display_name(found) if isinstance(found, dict) else None


def _mention(match: re.Match[str], names: dict[str, str | None]) -> str:
    name = names.get(match[1]) or (match[2] or "").strip() or match[1]
    return f"@{name}"
