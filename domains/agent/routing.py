"""Tiered routing: the offline router decides when it is confident; the model is asked only
about the ambiguous remainder (no domain, some candidates), outside the pipeline's transaction.

Its answer must name a known domain; anything else (garbage, "none", an error, no budget)
falls back to the offline behaviour: the question with the candidates as buttons. Every
consultation is a `route.consulted` event carrying the month's rate so far
(`route.consulted / route.decided`; `stats.consultation_rate` computes it for any period).

This is the job's half (`route_turn`); the pipeline queues the turn in `domains.agent.defer`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from domains.agent import llm, texts
from domains.agent.models import AgentTurnRow, TurnKind, close_turn
from domains.agent.prompt import CACHE, data_block, worth_caching
from orchestrator import statuses
from orchestrator import texts as core_texts
from orchestrator.canonical import Post
from orchestrator.charters import HUB
from orchestrator.context import Context
from orchestrator.db import rowcount, utcnow
from orchestrator.eventlog import record
from orchestrator.ingest import stored_event
from orchestrator.models import InboundEventRow
from orchestrator.posting import PostBatch, reply_target
from orchestrator.statuses import TurnStatus

if TYPE_CHECKING:
    from orchestrator.services import Services

log = logging.getLogger(__name__)

TOOL = "choose_domain"
NONE = "none"


def route_turn(svc: Services, event_id: int) -> tuple[set[str], list[Any]]:
    """The job: ask the model, then route (or ask the user) in one transaction."""
    with svc.db.session() as s:
        turn = _turn(s, event_id)
        if turn is None or not statuses.move(
            s, AgentTurnRow.status, TurnStatus.RUNNING, AgentTurnRow.id == turn.id,
            attempts=1, started_at=utcnow(),
        ):  # fmt: skip
            return set(), []
        text, candidates = turn.text, list(turn.data.get("candidates", []))
    answer = _ask_model(svc, event_id, text, candidates)
    return _settle(svc, event_id, candidates, answer)


def _turn(s: Session, event_id: int) -> AgentTurnRow | None:
    from sqlalchemy import select

    return s.scalars(
        select(AgentTurnRow).where(
            AgentTurnRow.kind == TurnKind.ROUTE.value, AgentTurnRow.event_id == event_id
        )
    ).first()


def _ask_model(svc: Services, event_id: int, text: str, candidates: list[str]) -> str:
    """The model's raw answer ("" on any failure)."""
    charters = svc.charters
    missions = "\n".join(f"- {n}: {charters.get(n).mission}" for n in charters.names())
    tool = {
        "name": TOOL,
        "description": "The domain that should handle the message, or none.",
        "input_schema": {
            "type": "object",
            "properties": {"domain": {"type": "string", "enum": [*charters.names(), NONE]}},
            "required": ["domain"],
            "additionalProperties": False,
        },
        "strict": True,
    }
    model, setting = llm.light_model(svc.settings)
    system: list[dict[str, Any]] = [
        {"type": "text", "text": f"{texts.ROUTER_RULES}\n\nDomains:\n{missions}"}
    ]
    if worth_caching(model, [tool], system):
        system[0]["cache_control"] = CACHE
    prompt = (
        f"Candidates: {', '.join(candidates)}\n\n{data_block('message', text)}\n\n"
        f"Answer by calling `{TOOL}`."
    )
    info = llm.CallInfo(HUB, "route", None, event_id, model_setting=setting)
    try:
        message, _ = llm.call_once(
            svc.settings, svc.db, info, model=model,
            max_tokens=1024, system=system, tools=[tool],
            tool_choice={"type": "auto"},  # forcing a tool is an error on some models
            messages=[{"role": "user", "content": prompt}],
        )  # fmt: skip
    except llm.ModelUnavailable as exc:
        log.warning("routing consultation failed: %s", exc)
        return ""
    for block in message.content:
        if block.type == "tool_use" and block.name == TOOL and isinstance(block.input, dict):
            return str(block.input.get("domain", ""))
    return "".join(b.text for b in message.content if b.type == "text")


def _settle(
    svc: Services, event_id: int, candidates: list[str], answer: str
) -> tuple[set[str], list[Any]]:
    chosen = answer.strip().strip("`*#\"'. ").lower()
    valid = chosen in svc.charters.names()
    with svc.db.session() as s:
        done = close_turn(
            s, AgentTurnRow.kind == TurnKind.ROUTE.value, AgentTurnRow.event_id == event_id,
            stop=chosen[:32],
        )  # fmt: skip
        if not done:
            return set(), []
        event = stored_event(s, event_id)
        ctx = Context(
            s, event, event_id, PostBatch(s, f"route{event_id}", event_id), svc.orchestrator
        )
        _record(s, event_id, answer, valid, chosen if valid else None, candidates)
        if valid and _claim_event(s, event_id, chosen):
            ctx.posts.add(
                reply_target(event),
                Post(text=core_texts.routed(chosen, texts.routed_by_model(chosen))),
            )
            svc.orchestrator.domain_message(ctx, chosen, in_home=False)
        else:
            ctx.posts.add(reply_target(event), svc.orchestrator.ask_which(ctx, candidates))
        return ctx.posts.channel_keys, list(ctx.jobs)


def _record(s, event_id: int, answer: str, valid: bool, domain: str | None,
            candidates: list[str]) -> None:  # fmt: skip
    """The consultation, with this month's rate so far (this one included)."""
    from domains.agent.budget import month_of, month_start
    from domains.agent.stats import consultation_rate

    rate = consultation_rate(s, since=month_start(month_of(utcnow())))
    data = {"answer": answer[:64], "valid": valid, "candidates": candidates,
            "month_rate": round((rate.consulted + 1) / max(rate.decided, 1), 4)}  # fmt: skip
    record(s, kind="route.consulted", actor="model", domain=domain, subject=f"event:{event_id}",
           data=data, source_event_id=event_id)  # fmt: skip


def _claim_event(s: Session, event_id: int, domain: str) -> bool:
    """Set the message's domain unless the user already picked one with a button."""
    claimed = s.execute(
        update(InboundEventRow)
        .where(InboundEventRow.id == event_id, InboundEventRow.domain.is_(None))
        .values(domain=domain)
    )
    return rowcount(claimed) == 1
