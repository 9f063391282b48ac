"""Where each domain lives on each platform, found or created once and remembered."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from orchestrator.canonical import Platform, Target
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
        with self.db.session() as s:
            rows = s.execute(
                select(ChannelRow.domain, ChannelRow.thread).where(
                    ChannelRow.platform == platform.value, ChannelRow.external_id == channel
                )
            ).all()
        for domain, row_thread in rows:
            if row_thread == thread or (row_thread is None and platform is Platform.SLACK):
                return domain
        return None

    def _lookup(self, platform: Platform, domain: str) -> tuple[str, str | None]:
        with self.db.session() as s:
            row = s.scalars(
                select(ChannelRow).where(
                    ChannelRow.platform == platform.value, ChannelRow.domain == domain
                )
            ).first()
            if row is not None:
                return row.external_id, row.thread
        sender = self.senders.get(platform)
        if sender is None:
            raise PermanentFailure(f"{platform.value} is not configured")
        name = channel_name(self.settings, domain)
        external_id, thread = sender.ensure_channel(domain=domain, name=name)
        self.remember(platform, domain, external_id, thread, name)
        return external_id, thread

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
