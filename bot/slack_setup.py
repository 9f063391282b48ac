"""The Slack `Provisioner`: domain channels found by remembered id or by name, created when
missing, the operators invited, topic and purpose set from the mission (CONTRACT §5).

One `conversations.list` pass (archived channels included) serves every place, so a channel
a person renamed is still found by its id, and one they archived is reported, not duplicated.
Topic and purpose are only set when they differ (`setTopic` is Tier 2: 20 a minute).
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.slack_calls import Refused, call
from bot.slack_channels import create_channel, invite_operators, list_channels
from orchestrator.canonical import Platform
from orchestrator.provisioning import Found, Place, PlaceState

TOPIC_MAX = 250  # characters of a channel topic or purpose


class SlackProvisioner:
    platform = Platform.SLACK

    def __init__(self, client: WebClient, operators: list[str]) -> None:
        self.client = client
        self.operators = operators

    def locate(
        self, places: list[Place], remembered: dict[str, tuple[str, str | None]]
    ) -> dict[str, Found]:
        channels = list_channels(self.client)
        by_id = {c["id"]: c for c in channels}
        by_name = {c.get("name"): c for c in channels}
        found = {}
        for place in places:
            known = remembered.get(place.domain)
            channel = by_id.get(known[0]) if known else None
            found[place.domain] = _found(place, channel or by_name.get(place.name))
        return found

    def create(self, place: Place) -> tuple[str, str | None]:
        return create_channel(self.client, place.name), None

    def furnish(self, place: Place, found: Found) -> None:
        assert found.channel is not None
        if found.detail.get("is_member") == "no":
            call(self.client, "conversations.join", channel=found.channel)
        invite_operators(self.client, found.channel, self.operators)
        text = place.mission[:TOPIC_MAX]
        for field, method in (("topic", "setTopic"), ("purpose", "setPurpose")):
            if found.detail.get(field) != text:
                call(self.client, f"conversations.{method}", channel=found.channel,
                     **{field: text})  # fmt: skip

    def configure(self) -> None:
        """Nothing bot-wide: `/pos` and the scopes are in the app manifest."""


def _found(place: Place, channel: dict[str, Any] | None) -> Found:
    if channel is None:
        return Found(PlaceState.MISSING)
    name = str(channel.get("name") or "")
    state = PlaceState.RENAMED if name != place.name else PlaceState.READY
    if channel.get("is_archived"):
        state = PlaceState.ARCHIVED
    detail = {
        "is_member": "yes" if channel.get("is_member") else "no",
        "topic": str((channel.get("topic") or {}).get("value") or ""),
        "purpose": str((channel.get("purpose") or {}).get("value") or ""),
    }
    return Found(state, str(channel["id"]), None, f"#{name}", detail)


def pin(client: WebClient, channel: str, ts: str) -> None:
    """Pin a posted message (already pinned is fine)."""
    try:
        call(client, "pins.add", channel=channel, timestamp=ts)
    except Refused as exc:
        if exc.error != "already_pinned":
            raise
