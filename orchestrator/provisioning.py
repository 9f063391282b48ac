"""What the kernel asks of a platform to provision the workspace (CONTRACT §2, §5).

One `Provisioner` per platform lives in bot/; `orchestrator.workspace` drives them. A place is
a domain's (or the hub's) channel or topic. The kernel remembers where each place is
(`ChannelDirectory`); the platform says what it finds there now, creates what is missing and
furnishes it (operators invited, topic and purpose from the mission).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from orchestrator.canonical import Platform


class PlaceState(StrEnum):
    READY = "ready"  # exists, usable
    CREATED = "created"  # created by this run
    RENAMED = "renamed"  # a person renamed it; still found by its id and used
    ARCHIVED = "archived"  # a person archived it; reported, never duplicated
    MISSING = "missing"  # not there yet (`parallelos setup` creates it)
    FAILED = "failed"  # the platform refused or did not answer


@dataclass(frozen=True)
class Place:
    domain: str  # a domain name or "hub"
    name: str  # Slack channel name `<prefix>-<domain>`; Telegram topic name (the domain)
    mission: str  # the channel's topic and purpose


@dataclass(frozen=True)
class Found:
    """What the platform shows for one place now."""

    state: PlaceState
    channel: str | None = None
    thread: str | None = None
    name: str | None = None  # its current name (differs from Place.name when renamed)
    detail: dict[str, str] = field(default_factory=dict)  # e.g. current topic/purpose


@dataclass(frozen=True)
class Report:
    platform: Platform
    place: Place
    state: PlaceState
    channel: str | None = None
    name: str | None = None
    note: str = ""


class Provisioner(Protocol):
    platform: Platform

    def locate(
        self, places: list[Place], remembered: dict[str, tuple[str, str | None]]
    ) -> dict[str, Found]:
        """Each place's state now (by domain), looked up by remembered id first, then name."""
        ...

    def create(self, place: Place) -> tuple[str, str | None]:
        """Create the place (or find it, if it appeared meanwhile); its (channel, thread)."""
        ...

    def furnish(self, place: Place, found: Found) -> None:
        """Invite the operators and set the topic/purpose where they differ (idempotent)."""
        ...

    def configure(self) -> None:
        """Bot-wide set-up: commands, description (idempotent)."""
        ...
