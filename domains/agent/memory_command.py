"""`memory <domain>`: the durable facts a domain's agent keeps (CONTRACT §6), numbered; and
`memory <domain> forget <n>`, the operator's delete. Works offline too: the profile is rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domains.agent import profile, texts
from orchestrator import texts as core_texts
from orchestrator.canonical import Post
from orchestrator.eventlog import record
from orchestrator.features import Feature

if TYPE_CHECKING:
    from orchestrator.context import Context


def feature() -> Feature:
    return Feature(name="memory", commands={"memory": memory})


def memory(ctx: Context, args: list[str]) -> Post:
    known = ctx.orch.charters.names()
    if not args:
        home = ctx.orch.directory.domain_of(ctx.event.platform, ctx.event.channel, ctx.event.thread)
        if home not in known:
            return Post(text=texts.MEMORY_USAGE)
        args = [home]
    name = args[0].lower().lstrip("#")
    if name not in known:
        return Post(text=core_texts.unknown_domain(name, known))
    if args[1:2] == ["forget"]:
        return _forget(ctx, name, args[2:])
    facts = profile.facts(ctx.session, name)
    body = "\n".join(f"{i}. {f.text}" for i, f in enumerate(facts, 1)) or texts.MEMORY_EMPTY
    return Post(title=texts.memory_title(name), text=body, context=texts.MEMORY_HINT)


def _forget(ctx: Context, domain: str, rest: list[str]) -> Post:
    if not ctx.orch.settings.is_operator(ctx.event.identity):
        return Post(text=texts.MEMORY_OPERATORS_ONLY)
    if len(rest) != 1 or not rest[0].isdigit():
        return Post(text=texts.MEMORY_USAGE)
    fact = profile.forget(ctx.session, domain, int(rest[0]))
    if fact is None:
        return Post(text=texts.no_such_fact(domain, rest[0]))
    record(ctx.session, kind="agent.fact_forgotten", actor=ctx.event.identity, domain=domain,
           subject=f"fact:{fact.id}", data={}, source_event_id=ctx.event_id)  # fmt: skip
    return Post(text=texts.fact_forgotten(domain, rest[0], fact.text))
