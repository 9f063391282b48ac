"""Charter versions as a feature: `charter <domain>` in chat, the report card's **Activate**
and **Stop** buttons (operators only), the dashboard's versions section, and the shadow
observer the pipeline calls on every live message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains.approvals.service import may_decide
from domains.versions import describe, report, service, texts
from domains.versions.models import CharterHeadRow
from domains.versions.shadow import ShadowRuns
from orchestrator.canonical import Post
from orchestrator.eventlog import record
from orchestrator.features import Feature
from orchestrator.posting import reply_target

if TYPE_CHECKING:
    from orchestrator.context import Context

__all__ = ["feature"]


def feature() -> Feature:
    return Feature(
        name="versions",
        commands={"charter": charter_command},
        actions={report.ACTIVATE: _activate, report.STOP: _stop},
        views={"charters": charters_view},
        observers=(ShadowRuns().observe,),
    )


def charter_command(ctx: Context, args: list[str]) -> Post:
    known = ctx.orch.charters.names()
    if not args or args[0].lower() not in known:
        return Post(text=texts.chat_usage(known))
    domain = args[0].lower()
    head = service.known_head(ctx.session, domain)
    active = describe.active_text(ctx.session, domain)
    shadow = describe.shadow_text(ctx.session, domain, head)
    return Post(title=f"Charter: {domain}", text=texts.chat_charter(domain, active, shadow))


def _clicked(ctx: Context, value: str) -> tuple[str, int] | None:
    """The card's (domain, version) when an operator clicked it and it is still current."""
    if not may_decide(ctx.orch.settings, ctx.actor):
        record(ctx.session, kind="action.refused", actor=ctx.actor, subject=f"charter:{value}",
               data={"reason": "not an operator"}, source_event_id=ctx.event_id)  # fmt: skip
        ctx.posts.answer(ctx.event, Post(text=texts.operators_only()))
        return None
    domain, _, number = value.partition(":")
    head = service.head(ctx.session, domain, for_update=True)
    if head is None or not number.isdigit() or head.shadow != int(number):
        ctx.posts.answer(ctx.event, Post(text=texts.stale_card()))
        return None
    return domain, int(number)


def _activate(ctx: Context, value: str) -> None:
    clicked = _clicked(ctx, value)
    if clicked is None:
        return
    domain, number = clicked
    service.activate(ctx.session, domain, number, actor=ctx.actor, why="activated from the report")
    who = ctx.event.user_name or ctx.actor
    ctx.posts.add(reply_target(ctx.event), Post(text=texts.card_activated(domain, number, who)))


def _stop(ctx: Context, value: str) -> None:
    clicked = _clicked(ctx, value)
    if clicked is None:
        return
    domain, number = clicked
    service.stop_shadow(ctx.session, domain, actor=ctx.actor, expected=number)
    who = ctx.event.user_name or ctx.actor
    ctx.posts.add(reply_target(ctx.event), Post(text=texts.card_stopped(domain, number, who)))


def charters_view(session: Session) -> list[dict[str, Any]]:
    """Every domain's versions, which is active, the shadow and its report (the dashboard)."""
    out = []
    for head in session.scalars(select(CharterHeadRow).order_by(CharterHeadRow.domain)):
        rows = service.versions(session, head.domain)
        rep = report.build(session, head.domain, head.shadow) if head.shadow else None
        out.append({
            "domain": head.domain, "active": head.active, "shadow": head.shadow,
            "versions": [{"number": r.number, "summary": r.summary, "notes": r.notes,
                          "created_at": r.created_at.isoformat()} for r in rows],
            "report": rep.lines() if rep else None,
        })  # fmt: skip
    return out
