"""Finding or creating a domain's Slack channel by name, inviting the operators (CONTRACT §5)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot.slack_calls import Refused, call

log = logging.getLogger(__name__)

LIST_PAGE = 1000
LIST_PAGES = 50
INVITE_IGNORED = {"already_in_channel", "cant_invite_self"}


def ensure_channel(client: WebClient, name: str, *, invite: list[str]) -> str:
    """The id of the channel called `name`: found (joined if need be) or created."""
    found = find_channel(client, name)
    if found is None:
        found = _create(client, name)
    elif not found.get("is_member"):
        call(client, "conversations.join", channel=found["id"])
    invite_operators(client, found["id"], invite)
    return str(found["id"])


def find_channel(
    client: WebClient, name: str, *, exclude_archived: bool = True
) -> dict[str, Any] | None:
    """The public or private channel called `name`, through every page of conversations.list."""
    cursor = None
    for _ in range(LIST_PAGES):
        page = call(
            client,
            "conversations.list",
            types="public_channel,private_channel",
            exclude_archived=exclude_archived,
            limit=LIST_PAGE,
            cursor=cursor,
        )
        for channel in page.get("channels") or []:
            if channel.get("name") == name:
                return channel
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
    return None


def list_channels(client: WebClient) -> list[dict[str, Any]]:
    """Every public and private channel the bot can see, archived ones included."""
    channels: list[dict[str, Any]] = []
    cursor = None
    for _ in range(LIST_PAGES):
        page = call(
            client,
            "conversations.list",
            types="public_channel,private_channel",
            exclude_archived=False,
            limit=LIST_PAGE,
            cursor=cursor,
        )
        channels += page.get("channels") or []
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return channels


def create_channel(client: WebClient, name: str) -> str:
    """Create `name` (or find it, when another process created it first); its id."""
    return str(_create(client, name)["id"])


def invite_operators(client: WebClient, channel: str, users: list[str]) -> None:
    """Invite each operator (one call each, so one who is already there stops nobody)."""
    for user in users:
        try:
            call(client, "conversations.invite", channel=channel, users=user)
        except Refused as exc:
            if exc.error not in INVITE_IGNORED:
                log.warning("could not invite %s to %s: %s", user, channel, exc.error)


def _create(client: WebClient, name: str) -> dict[str, Any]:
    try:
        created = call(client, "conversations.create", name=name, is_private=False)
        log.info("created slack channel #%s", name)
        return created["channel"]
    except Refused as exc:
        if exc.error != "name_taken":
            raise
    found = find_channel(client, name, exclude_archived=False)  # created meanwhile, or archived
    if found is None or found.get("is_archived"):
        raise Refused("conversations.create", f"#{name} exists but is archived or hidden")
    if not found.get("is_member"):
        call(client, "conversations.join", channel=found["id"])
    return found
