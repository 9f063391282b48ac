"""Briefs as a feature: `brief <name>` in Slack, Telegram or the local chat posts one now, on
that platform; recent runs are a dashboard view.

An on-demand run has its own period (the request), so it never consumes a scheduled one, and it
commits with the command's other effects: a redelivered command posts nothing twice.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from domains.briefs import texts
from domains.briefs.build import find_brief
from domains.briefs.overview import briefs_overview
from domains.briefs.receipts import recent_runs
from domains.briefs.runs import start_on_demand
from orchestrator.canonical import Platform, Post
from orchestrator.channels import channel_name
from orchestrator.charters import CharterSet
from orchestrator.db import utcnow
from orchestrator.features import Feature, ViewFn
from orchestrator.settings import Settings

if TYPE_CHECKING:
    from orchestrator.context import Context


def feature(settings: Settings, charters: CharterSet) -> Feature:
    """`brief <name>`; the dashboard's recent runs and each brief's schedule, next due time
    and receipts (`brief schedule`)."""
    views: dict[str, ViewFn] = {
        "briefs": recent_runs,
        "brief schedule": partial(briefs_overview, charters, settings),
    }
    return Feature(name="briefs", commands={"brief": brief}, views=views)


def brief(ctx: Context, args: list[str]) -> Post:
    """Queue the named brief for its destination and say where it is going."""
    charters = ctx.orch.charters
    known = [b.name for b in charters.all_briefs()]
    if not args:
        return Post(text=texts.brief_usage(known))
    spec = find_brief(charters, args[0])
    if spec is None:
        return Post(text=texts.unknown_brief(args[0].lower(), known))
    settings = ctx.orch.settings
    run = start_on_demand(
        ctx.session,
        charters,
        spec,
        settings=settings,
        now=utcnow(),
        request_id=f"ev{ctx.event_id}",
        requested_by=ctx.actor,
        batch=ctx.posts,
        on=[ctx.event.platform],
    )
    if not settings.offline:  # the hub agent's short summary, posted after the brief
        ctx.jobs.append(("brief_summary", {"run_id": run.id}))
    return Post(text=texts.on_demand_ack(spec.title, _where(ctx, spec.post_to)))


def _where(ctx: Context, destination: str) -> str:
    platform = ctx.event.platform
    if platform is Platform.SLACK:
        return f"#{channel_name(ctx.orch.settings, destination)}"
    if platform is Platform.LOCAL:
        return f"#local-{destination}"
    if ctx.orch.settings.telegram_chat_id is None:
        return "the operators' chats"
    return "the General topic" if destination == "hub" else f"the {destination} topic"
