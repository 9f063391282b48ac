"""The `login` command: a one-time sign-in link, sent to the operator's direct message.

Typed in a channel or a topic, the link still goes to the operator's DM (Slack) or private
chat (Telegram), and the channel only hears that it was sent. The link is stored hashed in
the kernel's sign-in table and built on PUBLIC_URL (`<PUBLIC_URL>/login/<token>`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domains.signin import texts
from orchestrator.canonical import Platform, Post, Target
from orchestrator.eventlog import record
from orchestrator.features import Feature
from orchestrator.signin import LINK_TTL, issue_link

if TYPE_CHECKING:
    from orchestrator.context import Context

__all__ = ["feature", "login"]

MINUTES = int(LINK_TTL.total_seconds() // 60)


def feature() -> Feature:
    return Feature(name="signin", commands={"login": login})


def login(ctx: Context, args: list[str]) -> Post:  # noqa: ARG001
    """Send the operator a sign-in link in their DM, or say plainly why not."""
    event, settings = ctx.event, ctx.orch.settings
    if event.platform is Platform.LOCAL:
        return Post(text=texts.LOCAL)
    if not settings.is_operator(ctx.actor):
        _refused(ctx, "not an operator")
        return Post(text=texts.NOT_OPERATOR)
    if settings.public_url is None:
        _refused(ctx, "PUBLIC_URL is not set")
        return Post(text=texts.NO_PUBLIC_URL)
    token = issue_link(ctx.session, identity=ctx.actor)
    url = f"{settings.public_url}/login/{token}"
    dm = Target(platform=event.platform, channel=event.user)
    link = Post(title=texts.LINK_TITLE, text=texts.link(url, MINUTES), link_preview=False)
    ctx.posts.add(dm, link)  # no preview: a platform's preview fetch would use the link up
    record(ctx.session, kind="signin.link_sent", actor=ctx.actor, source_event_id=ctx.event_id)
    in_dm = event.is_direct and (event.platform is Platform.SLACK or event.channel == event.user)
    telegram = event.platform is Platform.TELEGRAM
    return Post(text=texts.sent(in_dm=in_dm, minutes=MINUTES, telegram=telegram))


def _refused(ctx: Context, reason: str) -> None:
    record(
        ctx.session,
        kind="signin.refused",
        actor=ctx.actor,
        data={"reason": reason},
        source_event_id=ctx.event_id,
    )
