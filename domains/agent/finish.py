"""The end of a turn, in one transaction: the tools' effects, the reply, the budget notices.

Effects go through the same code as status lines (`domains.step.apply_status_ops`): doc ops
change the status doc, a handoff is an `Ask` for the inbox, a proposal a `Propose` for
approvals. The reply edits the placeholder the pipeline posted, and says what was done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from domains.agent import budget, mcp_tools, memory, profile, texts
from domains.agent.live import asked_row
from domains.agent.loop import LoopResult
from domains.agent.models import AgentTurnRow, Claimed, close_turn
from domains.agent.toolbox import Effects
from domains.status_lines import Ask, Op, Propose, SetDecision
from domains.step import apply_status_ops
from orchestrator import texts as core_texts
from orchestrator.canonical import Platform, Post, Target
from orchestrator.context import Context, Job
from orchestrator.eventlog import record
from orchestrator.models import OutboxRow
from orchestrator.posting import PostBatch, reply_target
from orchestrator.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from orchestrator.services import Services

CONTEXT_MARK = " -- "  # the inbox's separator between an ask and its shared context


@dataclass
class Finished:
    channel_keys: set[str] = field(default_factory=set)
    jobs: list[Job] = field(default_factory=list)
    stop: str = ""
    progress: Progress = NO_PROGRESS  # the turn's live status: cleared once the answer is out


def finish(
    svc: Services, claimed: Claimed, result: LoopResult, effects: Effects
) -> Finished | None:
    """Apply and answer once; None when another run of this turn finished it first."""
    with svc.db.session() as s:
        if not _won(s, claimed, result):
            return None
        turn = s.get(AgentTurnRow, claimed.turn_id)
        assert turn is not None  # _won just moved this very row
        agent_event = claimed.event.model_copy(update={"user_name": f"{claimed.domain} agent"})
        posts = PostBatch(s, f"agent{claimed.turn_id}", claimed.event_id)
        ctx = Context(s, agent_event, claimed.event_id, posts, svc.orchestrator)
        done = _apply(ctx, claimed, effects)
        reply = _reply_text(ctx, claimed.domain, result, effects)
        turn.data = {**(turn.data or {}), "reply": reply}
        _post(ctx, turn, claimed, "\n".join(x for x in (turn.prefix, reply, *done) if x))
        _budget_notices(ctx, svc, claimed.domain)
        _log_turn(ctx, claimed, result, effects)
        return Finished(ctx.posts.channel_keys, list(ctx.jobs), result.stop)


def _won(s: Session, claimed: Claimed, result: LoopResult) -> bool:
    """Close the turn if this run still holds it (its attempt, still running)."""
    return close_turn(
        s, AgentTurnRow.id == claimed.turn_id, AgentTurnRow.attempts == claimed.attempt,
        stop=result.stop, failed=result.stop == "unavailable", cost_usd=round(result.cost_usd, 8),
    )  # fmt: skip


def _apply(ctx: Context, claimed: Claimed, effects: Effects) -> list[str]:
    ops: list[Op] = list(effects.ops)
    ops += [Ask(to_domain=h.to_domain, priority=h.priority, text=_ask_text(h.ask, h.shared_context),
                privacy_note=h.privacy_note.strip()) for h in effects.handoffs]  # fmt: skip
    ops += [Propose(action=p.action) for p in effects.proposals]
    lines: list[str] = []
    if ops:
        actor = f"agent:{claimed.domain}"
        lines = apply_status_ops(ctx.orch, ctx, claimed.domain, ctx.event, ops, actor=actor)
    for op in effects.ops:
        if isinstance(op, SetDecision):
            memory.remember(ctx.session, domain=claimed.domain, kind="decision", text_=op.text,
                            source_event_id=claimed.event_id)  # fmt: skip
    profile.apply(ctx.session, claimed.domain, effects.facts, claimed.event_id)
    for note in effects.notes:
        memory.remember(ctx.session, domain=claimed.domain, kind="note", text_=note,
                        source_event_id=claimed.event_id)  # fmt: skip
    lines += mcp_tools.hold_all(ctx, claimed.domain, claimed.turn_id, effects.tool_effects)
    return [line for line in lines if line]


def _ask_text(ask: str, context: str) -> str:
    """The inbox's Ask text: the ask, then ` -- ` and the shared context (if any)."""
    ask = ask.replace(CONTEXT_MARK, " – ")
    return f"{ask}{CONTEXT_MARK}{context.strip()}" if context.strip() else ask


def _reply_text(ctx: Context, domain: str, result: LoopResult, effects: Effects) -> str:
    charter = ctx.orch.charters.get(domain)
    said = _checked(ctx, domain, effects.reply or result.text)
    if result.stop == "misconfigured":
        return texts.misconfigured(domain, result.setting or "PARALLELOS_MODEL")
    endings = {
        "refusal": texts.refused(domain),
        "limit": texts.loop_limit(domain, charter.budget.max_tool_iterations),
        "timeout": texts.timed_out(domain, charter.budget.job_timeout_seconds),
        "max_tokens": texts.cut_short(domain),
        "unavailable": texts.unavailable(domain),
    }
    if result.stop == "budget":
        st = budget.state(ctx.session, ctx.orch.charters, domain)
        endings["budget"] = texts.budget_stopped(domain, st.spent_usd, st.limit_usd)
    if result.stop in ("refusal", "unavailable"):
        return endings[result.stop]
    if result.stop in endings:
        return "\n".join(x for x in (said, endings[result.stop]) if x)
    if not said and effects.empty:
        return texts.empty_answer(domain)
    return said


def _checked(ctx: Context, domain: str, said: str) -> str:
    """The reply, or the decline when it crosses a charter's limit (logged with what it said)."""
    decision = ctx.orch.router.check_reply(said) if said else None
    if decision is None:
        return said
    record(ctx.session, kind="agent.reply_declined", actor=f"agent:{domain}", domain=domain,
           subject=f"event:{ctx.event_id}",
           data={"boundary_of": decision.domain, "reply": said[:1000]},
           source_event_id=ctx.event_id)  # fmt: skip
    return core_texts.declined(decision.reason)


def _post(ctx: Context, turn: AgentTurnRow, claimed: Claimed, text: str) -> None:
    """Edit the placeholder(s) the pipeline posted (or the live stream that took one's place);
    send anew where a live draft replaced one; post in the thread when there are none."""
    found = [ctx.session.get(OutboxRow, i) for i in turn.reply_posts or []]
    rows = [r for r in found if r is not None]
    anew = [r for r in (ctx.session.get(OutboxRow, i) for i in (turn.data or {}).get("anew", []))
            if r is not None]  # fmt: skip
    asked = asked_row(ctx.session, claimed, [r.id for r in rows])
    feedback = str(claimed.turn_id) if claimed.event.platform is Platform.SLACK else None
    if not rows and not anew:
        ctx.posts.add(reply_target(claimed.event), Post(text=text, feedback=feedback))
        return
    for row in anew:
        ctx.posts.add(
            Target.model_validate(row.target), Post(text=text, title=row.post.get("title"))
        )
    for row in rows:
        post = Post(text=text, title=row.post.get("title"),
                    feedback=feedback if row is asked else None)  # fmt: skip
        ctx.posts.add(Target.model_validate(row.target), post, update_of=row.id)


def _budget_notices(ctx: Context, svc: Services, domain: str) -> None:
    st = budget.state(ctx.session, svc.charters, domain)
    if st.exhausted:
        budget.request_raise(ctx, st)
    else:
        budget.warn_once(ctx, st)


def _log_turn(ctx: Context, claimed: Claimed, result: LoopResult, effects: Effects) -> None:
    read = sum(t["cache_read_input_tokens"] for t in result.tokens)
    prompt = sum(
        t["input_tokens"] + t["cache_read_input_tokens"] + t["cache_creation_input_tokens"]
        for t in result.tokens
    )
    data: dict[str, Any] = {
        "stop": result.stop,
        "calls": result.calls,
        "turn_cost_usd": round(result.cost_usd, 8),
        "cache_hit_rate": round(read / prompt, 4) if prompt else None,
        "tools": effects.log,
    }
    record(ctx.session, kind="agent.turn", actor=f"agent:{claimed.domain}", domain=claimed.domain,
           subject=f"event:{claimed.event_id}", data=data,
           charter_version=ctx.orch.charters.revision(claimed.domain),
           source_event_id=claimed.event_id)  # fmt: skip
