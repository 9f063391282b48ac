"""Building outbox posts for one unit of work: keys, reply targets, domain targets."""

from __future__ import annotations

from sqlalchemy.orm import Session

from orchestrator import outbox
from orchestrator.canonical import InboundEvent, Platform, Post, Target
from orchestrator.models import OutboxRow
from orchestrator.settings import Settings


def reply_target(event: InboundEvent) -> Target:
    """The thread of the message itself (Slack thread, Telegram reply in the same topic)."""
    if event.platform is Platform.TELEGRAM:
        return Target(
            platform=event.platform,
            channel=event.channel,
            thread=event.thread,
            reply_to_message=event.message_ref,
        )
    return Target(
        platform=event.platform, channel=event.channel, thread=event.thread or event.message_ref
    )


def domain_targets(settings: Settings, platform: Platform, domain: str) -> list[Target]:
    """A domain's (or the hub's) channel; on Telegram without a group, each operator's chat."""
    if platform is Platform.TELEGRAM and settings.telegram_chat_id is None:
        return [
            Target(platform=platform, channel=op.split(":", 1)[1])
            for op in settings.operators
            if op.startswith("telegram:")
        ]
    return [Target(platform=platform, domain=domain)]


class PostBatch:
    """Posts made by one unit of work, keyed `<scope>:<n>` so a re-run cannot add them twice."""

    def __init__(self, session: Session, scope: str, source_event_id: int | None = None):
        self.session = session
        self.scope = scope
        self.source_event_id = source_event_id
        self.rows: list[OutboxRow] = []

    def add(
        self,
        target: Target,
        post: Post,
        *,
        update_of: int | None = None,
        kind: str | None = None,
        channel_key: str | None = None,
    ) -> OutboxRow:
        row = outbox.add_post(
            self.session,
            key=self._next_key(),
            target=target,
            post=post,
            source_event_id=self.source_event_id,
            update_of=update_of,
            kind=kind,
            channel_key=channel_key,
        )
        self.rows.append(row)
        return row

    def _next_key(self) -> str:
        return f"{self.scope}:{len(self.rows)}"

    def to_domain(
        self, settings: Settings, platform: Platform, domain: str, post: Post
    ) -> list[OutboxRow]:
        targets = domain_targets(settings, platform, domain)
        if targets and targets[0].channel is not None and post.title is None:
            post = post.model_copy(update={"title": f"[{domain}]"})
        return [self.add(t, post) for t in targets]

    def answer(self, event: InboundEvent, post: Post) -> OutboxRow:
        """A private answer to the user who clicked or typed a slash command."""
        target = Target(
            platform=event.platform, channel=event.channel, thread=event.action_callback_ref
        )
        # Its own lane: a click's answer needs no order and must not wait behind the chat's
        # posts (Telegram's callback deadline is seconds).
        lane = f"{target.channel_key()}|answer:{self._next_key()}"
        row = self.add(target, post.model_copy(update={"ephemeral_to": event.user}),
                       kind="answer", channel_key=lane)  # fmt: skip
        return row

    @property
    def answered(self) -> bool:
        """Whether this unit of work already answers the user's click privately."""
        return any(r.kind == "answer" for r in self.rows)

    @property
    def channel_keys(self) -> set[str]:
        return {r.channel_key for r in self.rows}
