"""The pipeline's side of an agent turn, inside its transaction: offline first, then queue.

Status lines are applied deterministically, exactly as offline; the free text is checked
against every charter's boundaries by the router (a declined request never reaches the model),
then against the domain's monthly budget. What is left becomes an `agent_turns` row and an
`agent_turn` job queued after the commit; the thread gets a placeholder that the turn edits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from domains.agent import budget, memory, texts
from domains.agent.models import AgentTurnRow, TurnKind
from domains.status_lines import parse_status_lines, refusal_text
from domains.step import apply_status_ops, keep_note
from orchestrator import attachments
from orchestrator import texts as core_texts
from orchestrator.canonical import InboundEvent, Post
from orchestrator.models import InboundEventRow, OutboxRow
from orchestrator.statuses import TurnStatus

if TYPE_CHECKING:
    from orchestrator.context import Context, Kernel

TIMEOUT_MARGIN = 30  # seconds the job may run past the charter's deadline to write its result


def agent_step(
    orch: Kernel, ctx: Context, domain: str, event: InboundEvent, *, in_home: bool
) -> Post:
    """The domain's immediate answer; queues an agent turn when there is free text to handle."""
    orch.charters.get(domain)  # an unknown domain fails here, before anything changes
    names, zone = orch.charters.names(), orch.settings.zone
    parsed = parse_status_lines(event.text, names, zone=zone) if in_home else None
    if parsed is not None and parsed.errors:
        return Post(text=refusal_text(parsed.errors))
    lines = apply_status_ops(orch, ctx, domain, event, parsed.ops) if parsed and parsed.ops else []
    free = parsed.other_text if parsed is not None else event.text
    files = attachments.summary(event.attachments, model=True)
    lines = [*lines, files]
    readable = attachments.readable_ones(event.attachments)
    if not free.strip() and not readable:
        if event.attachments:
            keep_note(ctx, domain, event, orch.charters.revision(domain))
        return Post(text=_join(lines) or texts.empty_answer(domain))
    event_id = message_event_id(ctx, event)
    keep_note(ctx, domain, event, orch.charters.revision(domain))
    if free.strip():
        memory.remember(ctx.session, domain=domain, kind="message", text_=free,
                        source_event_id=event_id)  # fmt: skip
    free = free if free.strip() else texts.FILES_ONLY
    decision = orch.router.route(free)
    if not decision.in_scope:
        return Post(text=_join([*lines, core_texts.declined(decision.reason)]))
    state = budget.state(ctx.session, orch.charters, domain)
    if state.exhausted:
        budget.request_raise(ctx, state)
        stopped = texts.budget_stopped(domain, state.spent_usd, state.limit_usd)
        return Post(text=_join([*lines, stopped]))
    _queue_turn(ctx, domain, event_id, free, _join(lines), in_home=in_home)
    return Post(text=_join([*lines, texts.THINKING]))


def _queue_turn(
    ctx: Context, domain: str, event_id: int, free: str, prefix: str, *, in_home: bool
) -> None:
    ctx.session.add(
        AgentTurnRow(
            kind=TurnKind.REPLY.value,
            event_id=event_id,
            domain=domain,
            status=TurnStatus.QUEUED.value,
            attempts=0,
            trigger_event_id=ctx.event_id,
            in_home=in_home,
            reply_posts=[],
            prefix=prefix,
            text=free,
            data={},
        )
    )
    ctx.session.flush()
    timeout = ctx.orch.charters.get(domain).budget.job_timeout_seconds + TIMEOUT_MARGIN
    ctx.jobs.append(
        ("agent_turn", {"event_id": event_id, "domain": domain, "job_timeout": timeout})
    )


def attach_replies(ctx: Context, domain: str, event: InboundEvent, rows: list[OutboxRow]) -> None:
    """Remember where the domain's answer was posted: the agent's reply edits those posts."""
    turn = ctx.session.scalars(
        select(AgentTurnRow).where(
            AgentTurnRow.kind == TurnKind.REPLY.value,
            AgentTurnRow.event_id == message_event_id(ctx, event),
            AgentTurnRow.domain == domain,
            AgentTurnRow.status == TurnStatus.QUEUED.value,
        )
    ).first()
    if turn is not None and not turn.reply_posts:
        turn.reply_posts = [row.id for row in rows]


def message_event_id(ctx: Context, event: InboundEvent) -> int:
    """The stored id of the message (the event itself, or the message a click routed)."""
    if event.external_id == ctx.event.external_id and event.platform is ctx.event.platform:
        return ctx.event_id
    found = ctx.session.scalars(
        select(InboundEventRow.id).where(
            InboundEventRow.platform == event.platform.value,
            InboundEventRow.external_id == event.external_id,
        )
    ).first()
    return found if found is not None else ctx.event_id


def _join(lines: list[str]) -> str:
    return "\n".join(line for line in lines if line)
