"""Where each domain lives on each platform, found or created once and remembered."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from orchestrator import claims
from orchestrator.canonical import Platform, Target
from orchestrator.claims import Create
from orchestrator.db import Database
from orchestrator.models import ChannelRow
from orchestrator.outbound import Destination, PermanentFailure, Sender
from orchestrator.settings import Settings

HUB = "hub"


def channel_name(settings: Settings, domain: str) -> str:
    """Slack channel name `<prefix>-<domain>` (and `<prefix>-hub`)."""
    return f"{settings.channel_prefix}-{domain}"


class ChannelDirectory:
    """Resolves logical targets (a domain, the hub) to platform destinations."""

    def __init__(self, db: Database, settings: Settings, senders: Mapping[Platform, Sender]):
        self.db = db
        self.settings = settings
        self.senders = senders
        # Channels are only ever added, never moved: what this process has seen stays true.
        self._places: dict[tuple[Platform, str], tuple[str, str | None]] = {}
        self._homes: dict[tuple[Platform, str, str | None], str] = {}

    def resolve(self, target: Target) -> Destination:
        if target.channel is not None:
            return Destination(
                channel=target.channel, thread=target.thread, reply_to=target.reply_to_message
            )
        assert target.domain is not None
        channel, thread = self._lookup(target.platform, target.domain)
        return Destination(channel=channel, thread=target.thread or thread)

    def domain_of(self, platform: Platform, channel: str, thread: str | None) -> str | None:
        """The domain whose channel (or Telegram topic) this is, if any."""
        if platform is Platform.LOCAL:
            name = channel.removeprefix("local-")
            return name if channel.startswith("local-") and name not in ("dm", HUB) else None
        key = (platform, channel, thread)
        if key in self._homes:
            return self._homes[key]
        with self.db.session() as s:
            rows = s.execute(
                select(ChannelRow.domain, ChannelRow.thread).where(
                    ChannelRow.platform == platform.value, ChannelRow.external_id == channel
                )
            ).all()
        for domain, row_thread in rows:
            if row_thread == thread or (row_thread is None and platform is Platform.SLACK):
                self._homes[key] = domain
                return domain
        return None

    def _lookup(self, platform: Platform, domain: str) -> tuple[str, str | None]:
        place = self._places.get((platform, domain)) or self._stored(platform, domain)
        if place is None:
            sender = self.senders.get(platform)
            if sender is None:
                raise PermanentFailure(f"{platform.value} is not configured")
            name = channel_name(self.settings, domain)
            place = self.ensure(
                platform, domain, name, lambda: sender.ensure_channel(domain=domain, name=name)
            )
        self._places[(platform, domain)] = place
        return place

    def ensure(
        self, platform: Platform, domain: str, name: str, create: Create
    ) -> tuple[str, str | None]:
        """The remembered place, or the one `create` makes: created once, however many
        processes ask at the same time (the first to claim the row creates, the others wait)."""
        return claims.ensure(self.db, platform, domain, name, create)

    def remembered(self, platform: Platform) -> dict[str, tuple[str, str | None]]:
        """Every place remembered on `platform`, by domain (claims still being created left out)."""
        with self.db.session() as s:
            rows = s.execute(
                select(ChannelRow.domain, ChannelRow.external_id, ChannelRow.thread).where(
                    ChannelRow.platform == platform.value, ChannelRow.external_id != claims.PENDING
                )
            ).all()
        return {r.domain: (r.external_id, r.thread) for r in rows}

    def relocate(
        self, platform: Platform, domain: str, external_id: str, thread: str | None, name: str
    ) -> None:
        """Remember a new place for `domain` (its old channel is gone, or found by name)."""
        with self.db.session() as s:
            s.execute(
                update(ChannelRow)
                .where(ChannelRow.platform == platform.value, ChannelRow.domain == domain)
                .values(external_id=external_id, thread=thread, name=name)
            )
        self._places.pop((platform, domain), None)
        self._homes.clear()
        self.remember(platform, domain, external_id, thread, name)

    def forget(self, platform: Platform, domain: str, external_id: str, thread: str | None) -> None:
        """Drop a remembered place that no longer exists (only if it is still that one)."""
        with self.db.session() as s:
            s.execute(
                delete(ChannelRow).where(
                    ChannelRow.platform == platform.value,
                    ChannelRow.domain == domain,
                    ChannelRow.external_id == external_id,
                    ChannelRow.thread.is_(None) if thread is None else ChannelRow.thread == thread,
                )
            )
        self._places.pop((platform, domain), None)
        self._homes.clear()

    def _stored(self, platform: Platform, domain: str) -> tuple[str, str | None] | None:
        return claims.stored(self.db, platform, domain)

    def remember(
        self, platform: Platform, domain: str, external_id: str, thread: str | None, name: str
    ) -> None:
        try:
            with self.db.session() as s:
                s.add(
                    ChannelRow(
                        platform=platform.value,
                        domain=domain,
                        external_id=external_id,
                        thread=thread,
                        name=name,
                    )
                )
        except IntegrityError:
            pass  # another worker remembered it first; theirs is the same channel
